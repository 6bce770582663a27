"""`crm_bigrams(text)`: the pairs of adjacent characters of a text, for indexes that find a word of two characters
anywhere in a name (a trigram needs three, and most Chinese words are two: 崇州, 政府, 医院). The `anywhere` lookup
(`crm.lookups`) asks for them; PostgreSQL only.

Written as one expression of built-in functions, and not STRICT, so that PostgreSQL inlines it (6 µs a name
against 9 run as a function of its own; an array built in a subquery, 13): the pairs at odd positions, then those
at even ones, each cut out by one `regexp_replace` and `string_to_array`, the odd one out at the end left off by
the slice. The separator, U+001F, is taken out of the text first, so a pair never holds it; a word loses it too, so
every pair of a word is among the pairs of a text that contains it."""

from django.db import migrations

from crm.migration_operations import RunSQLOnPostgreSQL

FORWARD = r"""
CREATE OR REPLACE FUNCTION crm_bigrams(text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (string_to_array(regexp_replace(replace($1, E'\x1f', ''), '(..)', E'\\1\x1f', 'g'), E'\x1f'))
             [1:char_length(replace($1, E'\x1f', '')) / 2]
      || (string_to_array(regexp_replace(substr(replace($1, E'\x1f', ''), 2), '(..)', E'\\1\x1f', 'g'), E'\x1f'))
             [1:(char_length(replace($1, E'\x1f', '')) - 1) / 2]
$$
"""
BACKWARD = "DROP FUNCTION IF EXISTS crm_bigrams(text)"


class Migration(migrations.Migration):
    dependencies = [("crm", "0017_region_path_statistics")]

    operations = [RunSQLOnPostgreSQL([FORWARD], [BACKWARD])]
