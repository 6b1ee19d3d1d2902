"""The report says which dispersion model governed a chemical release, and why."""

from citysim.report.describe import describe_dispersion, describe_scenario


def test_a_dense_release_is_said_to_be_dense_with_its_criterion_and_reach():
    summary = {"plume_dispersion_model": "dense (Britter-McQuaid)", "plume_dense_criterion": 2.0479,
               "plume_dense_threshold": 0.15, "plume_dense_distance_m": 320.4,
               "plume_sigma": "briggs"}
    text = describe_dispersion(summary)
    assert text is not None
    assert "dense gas" in text and "2.05" in text and "0.15" in text and "320 m" in text
    assert "Briggs" in text


def test_a_passive_release_and_a_run_without_one():
    text = describe_dispersion({"plume_dispersion_model": "passive Gaussian",
                                "plume_dense_criterion": 0.05, "plume_dense_threshold": 0.15,
                                "plume_sigma": "pasquill_gifford"})
    assert text is not None and "passive gas" in text and "Pasquill-Gifford" in text
    assert describe_dispersion({"evacuated": 3}) is None
    topics = [t for t, _ in describe_scenario({"run": {}, "city": {}}, {}, {"evacuated": 3})]
    assert "Dispersion" not in topics
