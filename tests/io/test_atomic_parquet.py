"""Parquet tables are written by pyarrow directly, byte for byte as pandas writes them."""

import numpy as np
import pandas as pd

from citysim.io.atomic import write_parquet


def test_write_parquet_gives_the_bytes_of_pandas_to_parquet(tmp_path):
    df = pd.DataFrame({
        "t_s": np.arange(4, dtype=float) * 60.0,
        "shelter": pd.array(["S1", None, "人民公园", "S4"], dtype="string"),
        "persons": pd.array([1, None, 3, 4], dtype="Int64"),
        "t_full_s": [np.nan, 120.0, np.inf, 0.0],
        "closed": [True, False, True, False],
        "kind": pd.Categorical(["park", "school", "park", "square"]),
    })
    for frame in (df, df.iloc[:0], df.iloc[1:3]):  # a sliced frame keeps a non-zero index
        write_parquet(tmp_path / "ours.parquet", frame)
        frame.to_parquet(tmp_path / "pandas.parquet", engine="pyarrow", index=False)
        assert (tmp_path / "ours.parquet").read_bytes() == (
            tmp_path / "pandas.parquet").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.parquet", "pandas.parquet"]
