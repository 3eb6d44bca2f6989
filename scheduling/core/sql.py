"""Hand-written SQL for the few statements the ORM cannot write in one round trip.

Each use saves a round trip on a path every change or delivery takes (the
benchmarks in ``benchmarks/`` measure them). Column names come from the model and
every value is a parameter, prepared by its field as ``save()`` prepares it.
"""

import functools

from django.db import connection


def insert_returning(
    instance, *, returning: str = "id", expressions: dict | None = None,
    on_conflict: str = "", then: str = "", then_params: tuple | list = (),
) -> list[tuple]:
    """Insert the unsaved ``instance`` (every concrete field but the primary key) and
    return the rows the statement answers.

    ``expressions`` maps a field's attname to ``(sql, params)`` written in place of
    its value (a subquery, say). ``on_conflict`` follows the values (``"ON CONFLICT
    DO NOTHING"``). With ``then``, the insert is a common table expression named
    ``inserted`` and ``then`` the statement that reads it, with ``then_params``
    (PostgreSQL only); without it, the insert's own ``RETURNING returning`` rows.

    The first column of the first row is the new primary key: the instance is then
    saved as ``save()`` leaves it. No row (the conflict clause skipped the insert)
    leaves it unsaved.
    """
    sql, params = _insert_sql(instance, expressions or {})
    sql = f"{sql} {on_conflict} RETURNING {returning}"
    if then:
        sql, params = f"WITH inserted AS ({sql}) {then}", [*params, *then_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if rows:
        instance.pk = rows[0][0]
        instance._state.adding, instance._state.db = False, connection.alias
    return rows


def _insert_sql(instance, expressions: dict) -> tuple[str, list]:
    meta = instance._meta
    columns, values, params = [], [], []
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            sql, extra = expressions[field.attname]
            values.append(sql)
            params.extend(extra)
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.pre_save(instance, add=True), connection))
    table = connection.ops.quote_name(meta.db_table)
    # Column names come from the model; every value is a parameter.
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(values)})", params  # noqa: S608


def instance_from_row(model, names: tuple[str, ...], values):
    """A ``model`` instance from raw SQL ``values`` of the fields ``names``
    (attnames), as a queryset builds one: each value goes through its field's
    converters (a JSON column's text becomes the value); the other fields are
    deferred."""
    converters, order, positions = _row_plan(model, names)
    values = list(values)
    for index, field_converters in converters:
        for converter in field_converters:
            values[index] = converter(values[index], None, connection)
    return model.from_db(connection.alias, order, [values[i] for i in positions])


@functools.cache
def _row_plan(model, names: tuple[str, ...]) -> tuple[list, list[str], list[int]]:
    """The converters of ``names`` (by position, only where there are any) and
    their order in the model's fields, which ``from_db`` takes them in."""
    converters = [(index, converters) for index, name in enumerate(names)
                  if (converters := model._meta.get_field(name).get_db_converters(connection))]
    order = [field.attname for field in model._meta.concrete_fields if field.attname in names]
    return converters, order, [names.index(name) for name in order]
