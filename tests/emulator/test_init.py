"""The public surface of amplify_emulator and its configuration."""

from __future__ import annotations

import dataclasses

import amplify_emulator
import pytest
from amplify_emulator import FAULTS, EmulatorConfig, Fault


def test_public_names_are_pinned():
    assert amplify_emulator.__all__ == [
        "FAULTS",
        "Emulator",
        "EmulatorApp",
        "EmulatorConfig",
        "Fault",
        "Quirk",
        "combinations",
        "compatible_set",
        "quirks",
        "serve",
    ]
    for name in amplify_emulator.__all__:
        assert getattr(amplify_emulator, name) is not None


def test_config_defaults():
    cfg = EmulatorConfig()
    assert (cfg.stage, cfg.faults, cfg.throttle_rps, cfg.error_rate, cfg.seed, cfg.allow_injection) == (
        "/prod",
        frozenset(),
        None,
        0.0,
        0,
        False,
    )


def test_config_normalises_stage_and_faults():
    assert EmulatorConfig(stage="prod").stage == "/prod"
    assert EmulatorConfig(stage="/v1/").stage == "/v1"
    assert EmulatorConfig(stage="").stage == ""
    assert EmulatorConfig(faults={"r8_echo"}).faults == frozenset({"r8_echo"})


def test_unknown_fault_is_refused_naming_it_and_the_known_ones():
    with pytest.raises(ValueError) as caught:
        EmulatorConfig(faults=frozenset({"r8_echo", "no_such_fault"}))
    message = str(caught.value)
    assert "no_such_fault" in message
    assert all(name in message for name in FAULTS)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"error_rate": 1.5},
        {"error_rate": -0.1},
        {"throttle_rps": 0},
        {"throttle_rps": 1, "throttle_burst": 0},
    ],
)
def test_config_refuses_impossible_settings(kwargs):
    with pytest.raises(ValueError):
        EmulatorConfig(**kwargs)


def test_throttle_burst_defaults_to_one_second_of_tokens():
    assert EmulatorConfig(throttle_rps=2.5).burst == 3
    assert EmulatorConfig(throttle_rps=2.5, throttle_burst=7).burst == 7


def test_config_and_faults_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        EmulatorConfig().stage = "/x"
    fault = next(iter(FAULTS.values()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        fault.check = "x"


def test_every_fault_names_a_spec_operation_a_rule_and_a_check():
    import amplify_openapi

    operations = {op.operation_id for op in amplify_openapi.operations()}
    assert {fault.rule for fault in FAULTS.values()} == {f"R{n}" for n in range(1, 9)} | {"aws"}
    for name, fault in FAULTS.items():
        assert isinstance(fault, Fault) and fault.name == name
        assert fault.operation_id in operations
        assert fault.check.split(".")[0] == fault.rule
        assert fault.description


def test_faults_may_be_given_as_a_comma_separated_string():
    assert EmulatorConfig(faults="r8_echo, r6_bounds").faults == frozenset({"r8_echo", "r6_bounds"})
