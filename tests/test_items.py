"""Campaign item ids: stable, and two different people never share one."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hgk_lib.items import item_ids, key_text


def test_item_keys_keep_text_ids_exact_even_next_to_blanks():
    """An 18-digit person id must not pass through a float (two people would share one item id)."""
    s = pd.Series(["441825070020000201", None, "441825070020000203", "0012", 2019.0, 7], dtype=object)
    assert list(key_text(s)) == ["441825070020000201", "", "441825070020000203", "0012", "2019", "7"]
    f = pd.DataFrame({"hh_id": ["H", "H", "H"], "person_id": ["441825070020000201", "441825070020000203", None]})
    ids = item_ids(f, "三保障", "未参加基本医疗保险")
    assert ids.nunique() == 3 and not ids.str.contains(r"-\d$").any()


def test_item_id_ignores_row_order_of_other_rows_and_marks_true_duplicates():
    f = pd.DataFrame({"hh_id": ["A", "B", "A"], "year": [2019, 2019, 2019]})
    ids = item_ids(f, "规则", pd.Series(["R12", "R12", "R12"]))
    assert ids[0].startswith("R12-") and ids[2] == ids[0] + "-2"
    alone = item_ids(f.iloc[[1]], "规则", "R12")
    assert alone.iloc[0] == ids[1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=" 0129Xa中\t\u3000", max_size=8)), max_size=12))
def test_key_text_of_a_str_column_is_that_of_its_object_values(values):
    """Keys of the ``str`` dtype take a fast path: the same key texts (and item ids) as the same values as objects."""
    as_str, as_obj = pd.Series(values, dtype="str"), pd.Series(values, dtype=object)
    pd.testing.assert_series_equal(key_text(as_str), key_text(as_obj))
    frame = pd.DataFrame({"hh_id": as_str})
    assert item_ids(frame, "规则", "R01").tolist() == item_ids(frame.astype(object), "规则", "R01").tolist()
