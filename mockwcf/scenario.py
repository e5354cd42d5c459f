"""Scenario loading lives in `mockwcf.config`; this module keeps the old import path working."""

from mockwcf.config import (  # noqa: F401
    BUILTIN_DEFAULT,
    XPATH_NAMESPACES,
    FieldType,
    Operation,
    Problem,
    Rule,
    Scenario,
    ScenarioError,
    Service,
    load,
    load_builtin,
    load_dict,
    load_text,
)
