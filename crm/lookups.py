"""Lookups the ORM lacks, registered when the crm app is ready."""

from django.db.models import Field, ForeignKey, Lookup


class IsDistinctFrom(Lookup):
    """Null-safe inequality: `a IS DISTINCT FROM b` (SQLite spells it `a IS NOT b`)."""

    lookup_name = "distinct_from"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IS DISTINCT FROM {rhs}", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IS NOT {rhs}", [*lhs_params, *rhs_params]


Field.register_lookup(IsDistinctFrom)
ForeignKey.register_lookup(IsDistinctFrom)
