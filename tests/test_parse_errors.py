"""``one_line_parse_error``: jsonargparse's reports, as they come, condensed to one line."""

from __future__ import annotations

from pnas.parse_errors import one_line_parse_error

UNION = """Parser key "pruner":
  Does not validate against any of the Union subtypes
  Subtypes: [typing.Literal['none', 'median'], <class 'pnas.search.evaluation.pruning.Pruner'>]
  Errors:
    - Expected a typing.Literal['none', 'median']
    - Expected a dot import path string: bogus
  Given value type: <class 'str'>
  Given value: bogus"""

NESTED = """Parser key "strategy":
  Does not validate against any of the Union subtypes
  Subtypes: [<class 'pnas.search.strategies.base.SearchStrategy'>, <class 'NoneType'>]
  Errors:
    - Problem with given class_path 'pnas.search.ProgressiveSearch':
        Parser key "beam_size":
          Expected a <class 'int'>. Got value: x
    - Expected a <class 'NoneType'>
  Given value type: <class 'jsonargparse._util.NestedArg'>
  Given value: NestedArg(key='beam_size', val='x')"""


def test_a_union_report_is_the_key_the_value_and_each_choice():
    assert one_line_parse_error(UNION) == "pruner: got 'bogus'; expected one of none, median or a class path"


def test_a_class_argument_is_named_in_full_with_its_own_expectation():
    assert one_line_parse_error(NESTED) == "strategy.beam_size: got 'x'; expected int"


def test_any_other_report_has_its_lines_joined():
    assert one_line_parse_error("first\n  second\n\n") == "first; second"
