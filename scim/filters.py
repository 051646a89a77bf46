"""SCIM filters (RFC 7644 section 3.4.2.2): parsing, SQL translation and in-memory matching.

Parsing uses the RFC 7644 grammar of scim2-models (with the errata and the
Azure form `emails[type eq "work"].value eq "x"`). django-scim2's own
filter support is not used: it goes through scim2-filter-parser 0.7, whose
lexer reads only one-digit numbers, no escaped quotes and no capitalised
`False`, and it produces raw SQL that the views then filter row by row in
Python.

`user_filter_q` turns a filter into a Django `Q` object, so a filtered list
is one SQL query. Attributes kept in indexed columns are compared there;
`userName eq` uses the functional index on `LOWER(user_name)`. Simple
attributes that live only in the JSON document are compared through JSON
key lookups, which no index serves, but which still run in the database.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Lower
from django.db.models.lookups import (
    Contains,
    EndsWith,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    IEndsWith,
    IsNull,
    IStartsWith,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)
from django.utils.dateparse import parse_datetime
from scim2_models.exceptions import SCIMException as ModelsError
from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ScimFilter,
    ValuePath,
)

from directory.models import DirectoryGroupMember, DirectoryUserEmail

from . import azure
from .errors import InvalidFilter
from .schema import Attribute, ResourceSchema

MAX_FILTER_LENGTH = 4096
# Each comparison becomes a SQL condition, some an EXISTS subquery, so the
# number is capped to keep one request's cost bounded.
MAX_FILTER_COMPARISONS = 50


def parse_filter(text: str) -> FilterNode:
    """Return the syntax tree of filter `text`, or raise InvalidFilter saying where it fails."""
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilter(f"The filter is longer than {MAX_FILTER_LENGTH} characters.")
    try:
        node = ScimFilter(text).ast
    except (ModelsError, ValueError) as error:
        detail = getattr(error, "detail", None) or str(error)
        raise InvalidFilter(f"The filter {text!r} is not valid: {detail}.") from error

    comparisons = _count_comparisons(node)
    if comparisons > MAX_FILTER_COMPARISONS:
        raise InvalidFilter(
            f"The filter has {comparisons} comparisons; the maximum is {MAX_FILTER_COMPARISONS}. "
            "Split it into several requests."
        )
    return node


def _count_comparisons(node: FilterNode) -> int:
    if isinstance(node, LogicalExpr):
        return sum(_count_comparisons(term) for term in node.terms)
    if isinstance(node, Not):
        return _count_comparisons(node.expr)
    if isinstance(node, ValuePath):
        return _count_comparisons(node.val_filter)
    return 1


# Columns of DirectoryUser that hold a filterable attribute: (attribute,
# sub-attribute) in lower case -> (column, kind). Kinds: "ci" strings
# compared case-insensitively, "exact" strings, "bool", "datetime", "uuid".
USER_COLUMNS: dict[tuple[str, str | None], tuple[str, str]] = {
    ("id", None): ("pk", "uuid"),
    ("username", None): ("user_name", "ci"),
    ("externalid", None): ("external_id", "exact"),
    ("displayname", None): ("display_name", "ci"),
    ("name", "givenname"): ("given_name", "ci"),
    ("name", "familyname"): ("family_name", "ci"),
    ("active", None): ("active", "bool"),
    ("meta", "created"): ("created_at", "datetime"),
    ("meta", "lastmodified"): ("modified_at", "datetime"),
}

GROUP_COLUMNS: dict[tuple[str, str | None], tuple[str, str]] = {
    ("id", None): ("pk", "uuid"),
    ("displayname", None): ("display_name", "ci"),
    ("externalid", None): ("external_id", "exact"),
    ("meta", "created"): ("created_at", "datetime"),
    ("meta", "lastmodified"): ("modified_at", "datetime"),
}


@dataclass(frozen=True)
class RelatedValues:
    """A multi-valued attribute kept in its own table, filtered with EXISTS."""

    model: type
    owner_field: str
    columns: dict[str, tuple[str, str]]
    default_sub_attribute: str = "value"


USER_RELATED = {
    "emails": RelatedValues(
        DirectoryUserEmail,
        "user_id",
        {"value": ("value", "ci"), "type": ("type", "ci"), "primary": ("primary", "bool")},
    ),
    "groups": RelatedValues(DirectoryGroupMember, "user_id", {"value": ("group_id", "uuid")}),
}
GROUP_RELATED = {
    "members": RelatedValues(DirectoryGroupMember, "group_id", {"value": ("user_id", "uuid")}),
}


class FilterCompiler:
    """Compile a filter syntax tree on one resource type into a Q object."""

    def __init__(
        self,
        resource: ResourceSchema,
        columns: dict[tuple[str, str | None], tuple[str, str]],
        related: dict[str, RelatedValues],
    ) -> None:
        self.resource = resource
        self.columns = columns
        self.related = related

    def compile(self, node: FilterNode) -> Q:
        if isinstance(node, LogicalExpr):
            compiled = [self.compile(term) for term in node.terms]
            result = compiled[0]
            for item in compiled[1:]:
                result = (result & item) if node.op == LogicalOperator.and_ else (result | item)
            return result

        if isinstance(node, Not):
            return ~self.compile(node.expr)

        if isinstance(node, ValuePath):
            return self._value_path(node)

        if isinstance(node, (Comparison, Present)):
            return self._attribute_expression(node)

        raise InvalidFilter(f"The filter expression {node} is not supported.")

    def _attribute_expression(self, node: Comparison | Present) -> Q:
        path = node.attr_path
        schema, attribute = self._resolve(path.uri, path.attr)

        related = self.related.get(attribute.name.lower())
        if related is not None:
            condition = self._related_condition(
                related, attribute, node, path.sub_attr or related.default_sub_attribute
            )
            return self._related_exists(related, condition)

        sub_attribute = None
        if attribute.is_complex and not attribute.multi_valued and not path.sub_attr:
            # A complex attribute such as the enterprise manager compares its "value".
            sub_attribute = attribute.sub_attribute("value")
        if path.sub_attr:
            sub_attribute = attribute.sub_attribute(path.sub_attr)
            if sub_attribute is None:
                raise InvalidFilter(f'"{attribute.name}" has no sub-attribute "{path.sub_attr}".')

        column = self.columns.get((attribute.name.lower(), sub_attribute.name.lower() if sub_attribute else None))
        if column is not None and schema is self.resource.core:
            return compare_column(column[0], column[1], node)

        return self._document_expression(schema, attribute, sub_attribute, node)

    def _value_path(self, node: ValuePath) -> Q:
        schema, attribute = self._resolve(node.attr_path.uri, node.attr_path.attr)
        related = self.related.get(attribute.name.lower())
        if related is None:
            supported = ", ".join(f"{name}[...]" for name in self.related) or "none"
            raise InvalidFilter(f'Filtering inside "{attribute.name}[...]" is not supported; supported: {supported}.')
        return self._related_exists(related, self._related_condition_tree(related, attribute, node.val_filter))

    def _related_condition_tree(self, related: RelatedValues, attribute: Attribute, node: FilterNode) -> Q:
        if isinstance(node, LogicalExpr):
            compiled = [self._related_condition_tree(related, attribute, term) for term in node.terms]
            result = compiled[0]
            for item in compiled[1:]:
                result = (result & item) if node.op == LogicalOperator.and_ else (result | item)
            return result
        if isinstance(node, Not):
            return ~self._related_condition_tree(related, attribute, node.expr)
        if isinstance(node, (Comparison, Present)):
            if node.attr_path.uri or node.attr_path.sub_attr:
                raise InvalidFilter(
                    f"Inside {attribute.name}[...], name a sub-attribute of {attribute.name}, not {node.attr_path}."
                )
            return self._related_condition(related, attribute, node, node.attr_path.attr)
        raise InvalidFilter(f"The filter expression {node} is not supported inside {attribute.name}[...].")

    @staticmethod
    def _related_condition(
        related: RelatedValues, attribute: Attribute, node: Comparison | Present, sub_name: str
    ) -> Q:
        column = related.columns.get(sub_name.lower())
        if column is None:
            supported = ", ".join(related.columns)
            raise InvalidFilter(f'Filtering on "{attribute.name}.{sub_name}" is not supported; use {supported}.')
        return compare_column(column[0], column[1], node)

    @staticmethod
    def _related_exists(related: RelatedValues, condition: Q) -> Q:
        rows = related.model.objects.filter(condition, **{related.owner_field: OuterRef("pk")})
        return Q(Exists(rows))

    def describe(self) -> str:
        """Return the attributes this compiler filters on columns or related tables, for error details."""
        names = []
        for attribute, sub in self.columns:
            top = self.resource.top_level(attribute)
            name = top.name if top else attribute
            if sub:
                sub_attribute = top.sub_attribute(sub) if top else None
                name = f"{name}.{sub_attribute.name if sub_attribute else sub}"
            names.append(name)
        for attribute in self.related:
            top = self.resource.top_level(attribute)
            names.append(top.name if top else attribute)
        return ", ".join(names)

    def _document_expression(
        self, schema, attribute: Attribute, sub_attribute: Attribute | None, node: Comparison | Present
    ) -> Q:
        target = sub_attribute or attribute
        if attribute.multi_valued or target.is_complex or target.type not in {"string", "reference"}:
            raise InvalidFilter(
                f'Filtering on "{node.attr_path}" is not supported. Filterable attributes: {self.describe()}, '
                "and single-valued string attributes."
            )

        expression: Any = "document"
        if schema is not self.resource.core:
            expression = KeyTransform(schema.id, expression)
        if sub_attribute is not None:
            expression = KeyTransform(attribute.name, expression)
            expression = KeyTextTransform(sub_attribute.name, expression)
        else:
            expression = KeyTextTransform(attribute.name, expression)
        return compare_expression(expression, "exact" if target.case_exact else "ci", node)

    def _resolve(self, uri: str | None, name: str):
        if uri:
            schema = self.resource.schema(uri)
            if schema is None:
                raise InvalidFilter(f"Unknown schema {uri} in filter.")
            attribute = schema.attribute(name)
        else:
            schema = self.resource.core
            attribute = self.resource.top_level(name)
            if attribute is None:
                for extension in self.resource.extensions:
                    attribute = extension.attribute(name)
                    if attribute is not None:
                        schema = extension
                        break
        if attribute is None:
            raise InvalidFilter(f'Unknown attribute "{name}" in filter.')
        return schema, attribute


def user_filter_q(resource: ResourceSchema, text: str) -> Q:
    """Return the Q object that selects the users matching filter `text`."""
    return FilterCompiler(resource, USER_COLUMNS, USER_RELATED).compile(parse_filter(text))


def group_filter_q(resource: ResourceSchema, text: str) -> Q:
    """Return the Q object that selects the groups matching filter `text`."""
    return FilterCompiler(resource, GROUP_COLUMNS, GROUP_RELATED).compile(parse_filter(text))


def compare_column(column: str, kind: str, node: Comparison | Present) -> Q:
    """Compare one model column with the value of `node`; `kind` selects the comparison (see USER_COLUMNS)."""
    if isinstance(node, Present):
        if kind in {"ci", "exact"}:
            return Q(**{f"{column}__isnull": False}) & ~Q(**{column: ""})
        return Q(**{f"{column}__isnull": False})

    if kind == "uuid":
        return _compare_uuid(column, node)
    if kind == "bool":
        return _compare_bool(column, node)
    if kind == "datetime":
        return _compare_datetime(column, node)
    return compare_expression(column, kind, node)


def compare_expression(expression: Any, kind: str, node: Comparison | Present) -> Q:
    """Compare a string column or JSON text expression with `node`, case-insensitively when kind is "ci"."""
    if isinstance(node, Present):
        return ~Q(_isnull(expression)) & ~Q(Exact(_as_expression(expression), Value("")))

    value = node.value
    if value is None:
        return _null_comparison(expression, node.op)
    if not isinstance(value, str):
        raise InvalidFilter(f"{node.attr_path} is a string attribute; compare it with a quoted string, not {value!r}.")

    lhs = _as_expression(expression)
    if kind == "ci":
        lhs = Lower(lhs)
        rhs: Any = Lower(Value(value))
    else:
        rhs = Value(value)

    op = node.op
    if op == CompareOperator.eq:
        return Q(Exact(lhs, rhs))
    if op == CompareOperator.ne:
        return ~Q(Exact(lhs, rhs)) | Q(_isnull(expression))
    if op in STRING_LOOKUPS:
        lookup = STRING_LOOKUPS[op] if kind == "ci" else CASE_SENSITIVE_STRING_LOOKUPS[op]
        return Q(lookup(_as_expression(expression), value))
    return Q(ORDERING_LOOKUPS[op](lhs, rhs))


def _as_expression(expression: Any):
    return F(expression) if isinstance(expression, str) else expression


def _isnull(expression: Any) -> IsNull:
    return IsNull(_as_expression(expression), True)


def _null_comparison(expression: Any, op: CompareOperator) -> Q:
    if op == CompareOperator.eq:
        return Q(_isnull(expression))
    if op == CompareOperator.ne:
        return ~Q(_isnull(expression))
    raise InvalidFilter(f'"{op.value}" cannot compare with null; use eq, ne or pr.')


def _compare_uuid(column: str, node: Comparison) -> Q:
    if node.op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(node.value, str):
        raise InvalidFilter('"id" can only be compared with eq or ne and a quoted id.')
    try:
        value = uuid.UUID(node.value)
    except ValueError:
        # No resource has an id that is not a UUID.
        return Q(pk__in=[]) if node.op == CompareOperator.eq else ~Q(pk__in=[])
    condition = Q(**{column: value})
    return condition if node.op == CompareOperator.eq else ~condition


def _compare_bool(column: str, node: Comparison) -> Q:
    value = azure.parse_boolean_string(node.value)
    if not isinstance(value, bool) or node.op not in (CompareOperator.eq, CompareOperator.ne):
        raise InvalidFilter(f"{node.attr_path} is a boolean; compare it with eq or ne and true or false.")
    condition = Q(**{column: value})
    return condition if node.op == CompareOperator.eq else ~condition


def _compare_datetime(column: str, node: Comparison) -> Q:
    moment = _parse_moment(node.value)
    if moment is None:
        raise InvalidFilter(
            f"{node.attr_path} is a dateTime; compare it with a quoted xsd:dateTime value "
            "between years 1 and 9999, such as 2026-01-31T12:00:00Z."
        )
    if node.op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
        raise InvalidFilter(f"{node.attr_path} is a dateTime; use eq, ne, gt, ge, lt or le.")
    if node.op == CompareOperator.ne:
        return ~Q(**{column: moment})
    lookup = {
        CompareOperator.eq: "exact",
        CompareOperator.gt: "gt",
        CompareOperator.ge: "gte",
        CompareOperator.lt: "lt",
        CompareOperator.le: "lte",
    }[node.op]
    return Q(**{f"{column}__{lookup}": moment})


def _parse_moment(value: Any) -> datetime.datetime | None:
    """Return an aware UTC datetime, or None for text that is not a dateTime the database can store."""
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
        if moment is None:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        return None


STRING_LOOKUPS: dict[CompareOperator, Callable] = {
    CompareOperator.co: IContains,
    CompareOperator.sw: IStartsWith,
    CompareOperator.ew: IEndsWith,
}


CASE_SENSITIVE_STRING_LOOKUPS: dict[CompareOperator, Callable] = {
    CompareOperator.co: Contains,
    CompareOperator.sw: StartsWith,
    CompareOperator.ew: EndsWith,
}

ORDERING_LOOKUPS: dict[CompareOperator, Callable] = {
    CompareOperator.gt: GreaterThan,
    CompareOperator.ge: GreaterThanOrEqual,
    CompareOperator.lt: LessThan,
    CompareOperator.le: LessThanOrEqual,
}


def element_matches(node: FilterNode, element: dict[str, Any], attribute: Attribute) -> bool:
    """Return whether one value of multi-valued `attribute` matches the value filter `node`.

    Used for PATCH paths such as `emails[type eq "work"]`, where the values
    live in the resource document and not in columns.
    """
    if isinstance(node, LogicalExpr):
        results = (element_matches(term, element, attribute) for term in node.terms)
        return all(results) if node.op == LogicalOperator.and_ else any(results)
    if isinstance(node, Not):
        return not element_matches(node.expr, element, attribute)
    if not isinstance(node, (Comparison, Present)):
        raise InvalidFilter(f"The expression {node} is not supported inside {attribute.name}[...].")

    sub = attribute.sub_attribute(node.attr_path.attr) if attribute.is_complex else None
    if attribute.is_complex and sub is None:
        raise InvalidFilter(f'"{attribute.name}" has no sub-attribute "{node.attr_path.attr}".')
    actual = element.get(sub.name) if sub is not None else element.get("value")

    if isinstance(node, Present):
        return actual not in (None, "", [], {})
    return compare_values(actual, node.op, node.value, case_exact=bool(sub and sub.case_exact))


def compare_values(actual: Any, op: CompareOperator, expected: Any, *, case_exact: bool) -> bool:
    """Compare two JSON values with a SCIM operator, in memory."""
    expected = azure.parse_boolean_string(expected) if isinstance(actual, bool) else expected
    if isinstance(actual, str) and isinstance(expected, str) and not case_exact:
        actual, expected = actual.lower(), expected.lower()

    if op == CompareOperator.eq:
        return actual == expected
    if op == CompareOperator.ne:
        return actual != expected
    if actual is None or expected is None:
        return False
    if op in STRING_LOOKUPS:
        if not isinstance(actual, str) or not isinstance(expected, str):
            return False
        if op == CompareOperator.co:
            return expected in actual
        if op == CompareOperator.sw:
            return actual.startswith(expected)
        return actual.endswith(expected)
    try:
        if op == CompareOperator.gt:
            return actual > expected
        if op == CompareOperator.ge:
            return actual >= expected
        if op == CompareOperator.lt:
            return actual < expected
        return actual <= expected
    except TypeError:
        return False
