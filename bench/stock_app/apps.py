from django.apps import AppConfig


class StockAppConfig(AppConfig):
    name = "bench.stock_app"
    label = "stock_app"
    verbose_name = "stock django-scim2 peer"
