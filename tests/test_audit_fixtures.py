"""The audit fixture builders give canonical tables (dtypes, valid IDs, ages on the reference date)."""

import pandas as pd

from hgk_lib import derive as D

from helpers.audit_tables import REF, birth_for_age, county, household, income, member


def test_fixture_builders_give_canonical_tables():
    t = county([household("H1")], [member("H1")], [income("H1")])
    assert t["member"]["ins_resident"].dtype == "boolean"
    assert t["income"]["wage"].dtype == "float64"
    assert D.id_checksum_ok(t["member"]["id_no"]).all()
    assert int(D.age_on(pd.Series([pd.Timestamp(birth_for_age(16))]), REF).iloc[0]) == 16
    assert int(D.age_on(pd.Series([pd.Timestamp(birth_for_age(16, 1))]), REF).iloc[0]) == 15
