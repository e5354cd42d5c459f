"""Scenario files: load, validate against `schema.SCHEMA`, compile the binding, apply WCF's defaults.

walker.py reads the YAML against the schema; builder.py checks cross-key rules and builds the `Scenario`
(model.py), compiling the binding section with `mockwcf.binding.factory`.
"""

from mockwcf.config.builder import BUILTIN_DEFAULT, XPATH_NAMESPACES, load, load_builtin, load_dict, load_text
from mockwcf.config.endpoints import load_all, load_text_all
from mockwcf.config.model import FieldType, Operation, Rule, Scenario, Service
from mockwcf.config.walker import Problem, ScenarioError

__all__ = [
    "BUILTIN_DEFAULT",
    "XPATH_NAMESPACES",
    "FieldType",
    "Operation",
    "Problem",
    "Rule",
    "Scenario",
    "ScenarioError",
    "Service",
    "load",
    "load_all",
    "load_builtin",
    "load_dict",
    "load_text",
    "load_text_all",
]
