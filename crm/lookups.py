"""Lookups the ORM lacks, registered when the crm app is ready."""

from django.db.models import CharField, Field, ForeignKey, Lookup, TextField
from django.db.models.lookups import Contains, IContains

# Taken out of a text before its pairs of characters are (`crm_bigrams`, crm migration 0018).
BIGRAM_SEPARATOR = "\x1f"


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


def uncased(value: str) -> bool:
    """Whether `value` reads the same in upper and lower case (Chinese characters, digits), so that a search for
    it ignoring case finds what one heeding it does."""
    return value.upper() == value == value.lower()


def has_bigrams(value: str) -> bool:
    """Whether `value` has a pair of characters for `crm_bigrams` to find it by."""
    return len(value.replace(BIGRAM_SEPARATOR, "")) >= 2


class Anywhere(Lookup):
    """`icontains` that PostgreSQL finds through an index for a word of two characters too: a trigram index cannot
    find one, and most Chinese words are two (崇州, 政府). A word of two is its one pair of characters: among the
    pairs of UPPER(field) (`crm_bigrams`, in the "C" collation, as the index `customer_name_bigrams` holds them).
    The LIKE stays beside it, cheap where the rows come by another index (a small territory's, region by region;
    the pairs cost 6 µs a row to compute), but spelt `(LIKE OR field <> field)`, always the LIKE for a name, so
    that the planner estimates its share once, from the pairs' statistics: estimated twice as if independent, 科技
    (79 687 names of a million) read as 6 000 and plans were chosen for that. A longer word is the LIKE on
    UPPER(field) that a trigram index serves; its pairs would be estimated as independent of each other (人民医院
    in 1 name, not 7 207). A word of one character: the LIKE, as written when it has no case (UPPER() costs more
    than the LIKE on every row a scan reads). Elsewhere than PostgreSQL, `icontains`."""

    lookup_name = "anywhere"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        return compiler.compile(IContains(self.lhs, self.rhs))

    def as_postgresql(self, compiler, connection):
        if not isinstance(self.rhs, str) or len(self.rhs) > 2:
            return compiler.compile(IContains(self.lhs, self.rhs))
        like, like_params = compiler.compile((Contains if uncased(self.rhs) else IContains)(self.lhs, self.rhs))
        if not has_bigrams(self.rhs):
            return like, like_params
        lhs, lhs_params = compiler.compile(self.lhs)
        pairs = f'(crm_bigrams(UPPER({lhs})) COLLATE "C") @> (crm_bigrams(UPPER(%s)) COLLATE "C")'
        return (
            f"(({like} OR {lhs} <> {lhs}) AND {pairs})",
            [*like_params, *lhs_params, *lhs_params, *lhs_params, self.rhs],
        )


CharField.register_lookup(Anywhere)
TextField.register_lookup(Anywhere)
