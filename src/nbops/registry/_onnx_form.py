"""A registered model's ONNX form: scored by onnxruntime, without scikit-learn.

A process that imports scikit-learn spends about 1.5 CPU seconds on that import
alone (docs/serving.md, Start-up), so a restarted ``nbops serve-model`` cannot
answer within a CPU second with the model itself. After a full load, the model
is converted with skl2onnx (:func:`convert`), and the ONNX form is used only if
it scores rows nbops has (the version's test data) as the model does
(:func:`parity_problem`): every probability within :data:`TOLERANCE` and every
label identical at the model's threshold. It is then kept, MAC'd, beside the
verified model (:func:`nbops.registry._model_cache.keep_onnx`), and a restart
scores with it after the same file and type checks.

What the conversion assumes, each checked by the parity rows rather than trusted:

- inputs are the prepared frame's columns (``input_preparation``: numbers as
  ``float64``, fed as ``float32`` as onnxruntime's tree ensembles take them;
  categories as text, a missing one as the empty string, which preparation
  never lets through as a value);
- a ``FunctionTransformer`` is left out of the graph only if it is the identity
  on prepared input (the reference model's converters only re-type columns that
  preparation already typed): it is run on probe values of its columns' kind
  (extremes, zero, signs, NaN; empty, numeric-looking and non-ASCII text) and on
  the parity rows, and must give each back unchanged; one that changes a value
  (a log, a clip of outliers the parity rows may not hold) makes the model
  :class:`NotConvertible`, named;
- ``SimpleImputer(add_indicator=True)`` (skl2onnx leaves the indicator columns
  out) is converted here, and a ``OneHotEncoder`` with
  ``handle_unknown="infrequent_if_exist"`` and no infrequent category encodes an
  unknown category as zeros, as scikit-learn does (the ONNX operator would fail).

A model skl2onnx cannot convert raises :class:`NotConvertible`, whose message is
the one line the service logs before it answers with scikit-learn.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from typing import Any

#: The largest difference in a probability the ONNX form may have from the model's
#: (float32 arithmetic in onnxruntime's trees: about 2e-7 on the reference model).
TOLERANCE = 1e-5
#: Opsets the converted graph targets (onnxruntime has run both since 1.10).
_OPSETS = {"": 17, "ai.onnx.ml": 3}


_BOOL_AS_INT = r"Field onnx\.AttributeProto\.ints: Expected an int, got a boolean"


class NotConvertible(Exception):
    """The model has no ONNX form nbops can trust; the message says why in one line."""


def convert(model: Any, numeric: Sequence[str], categorical: Sequence[str]) -> bytes:
    """The ONNX form of a fitted classifier taking the prepared columns by name.

    Raises:
        NotConvertible: skl2onnx cannot convert it.
        ImportError: skl2onnx is not installed (the ``serve`` extra has it).
    """
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    _register_imputer()
    graph_model = _without_identities(copy.deepcopy(model), set(numeric), set(categorical))
    inputs = ([(name, FloatTensorType([None, 1])) for name in numeric]
              + [(name, StringTensorType([None, 1])) for name in categorical])
    try:
        with warnings.catch_warnings():
            # skl2onnx 1.20 writes a leaf's missing-value flag as False where ONNX wants
            # 0; protobuf 6 warns (and converts it right), 7 refuses: the serve extra
            # keeps protobuf below 7, and this one warning is not the user's to act on
            warnings.filterwarnings("ignore", _BOOL_AS_INT, DeprecationWarning)
            onnx_model = convert_sklearn(graph_model, initial_types=inputs,
                                         target_opset=_OPSETS,
                                         options={id(graph_model): {"zipmap": False}})
    except Exception as exc:  # noqa: BLE001 - skl2onnx raises anything it meets
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise NotConvertible(f"skl2onnx cannot convert it ({type(exc).__name__}: "
                             f"{first})") from None
    return bytes(onnx_model.SerializeToString())


def _steps(estimator: Any) -> list[Any]:
    """``estimator`` and every estimator nested in its pipelines and column transformers."""
    found = [estimator]
    for _, step in getattr(estimator, "steps", ()):
        found.extend(_steps(step))
    for _, part, _ in getattr(estimator, "transformers_", ()):
        if not isinstance(part, str):
            found.extend(_steps(part))
    return found


#: What a prepared numeric column can hold, and a categorical one (text or missing).
_NUMBER_PROBES = (-1e300, -1e6, -2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5, 72.0, 1e6, 1e300,
                  float("nan"))
_TEXT_PROBES = ("", "0", "1.5", "-1", "Yes", "No", "(missing)", "Électricité ✓",
                "x" * 300, float("nan"))


def _is_identity(step: Any, numeric: set[str], categorical: set[str]) -> bool:
    """Whether a fitted FunctionTransformer gives prepared input back unchanged."""
    import numpy as np
    import pandas as pd

    if step.func is None:
        return True
    columns = list(getattr(step, "feature_names_in_", []))
    if not columns or not set(columns) <= numeric | categorical:
        return False  # fitted without column names, or on columns nbops does not prepare
    length = max(len(_NUMBER_PROBES), len(_TEXT_PROBES))
    probe = pd.DataFrame({
        c: (pd.Series(np.resize(np.array(_NUMBER_PROBES, dtype="float64"), length))
            if c in numeric else
            pd.Series(np.resize(np.array(_TEXT_PROBES, dtype=object), length), dtype=object))
        for c in columns})
    try:
        out = step.transform(probe.copy())
    except Exception:  # noqa: BLE001 - a function that fails on a probe is not an identity
        return False
    out = pd.DataFrame(out, columns=columns) if not isinstance(out, pd.DataFrame) else out
    if list(out.columns) != columns or len(out) != length:
        return False
    for c in columns:
        given, back = probe[c], out[c]
        if c in numeric:
            back = pd.to_numeric(back, errors="coerce").astype("float64")
            if not np.array_equal(given.to_numpy(), back.to_numpy(), equal_nan=True):
                return False
        elif not all((pd.isna(a) and pd.isna(b)) or a == b
                     for a, b in zip(given, back, strict=True)):
            return False
    return True


def _without_identities(model: Any, numeric: set[str], categorical: set[str]) -> Any:
    """The (copied) model with its identity FunctionTransformers left out and its NaN
    text imputers and unknown-category encoders set as the ONNX graph needs them.

    Raises:
        NotConvertible: a FunctionTransformer changes its input (the graph cannot hold it).
    """
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

    for part in _steps(model):
        if hasattr(part, "steps"):
            for name, step in part.steps:
                if (isinstance(step, FunctionTransformer)
                        and not _is_identity(step, numeric, categorical)):
                    raise NotConvertible(
                        f"its FunctionTransformer {name!r} changes the values it is given "
                        "(an ONNX graph cannot run a Python function)")
            kept = [(n, s) for n, s in part.steps if not isinstance(s, FunctionTransformer)]
            if not kept:
                raise NotConvertible("a pipeline holds nothing but FunctionTransformers")
            part.steps = kept
        if isinstance(part, SimpleImputer) and part.statistics_.dtype.kind == "O":
            import numpy as np

            if isinstance(part.missing_values, float) and np.isnan(part.missing_values):
                part.missing_values = ""  # how a missing category reaches the graph
        if (isinstance(part, OneHotEncoder) and part.handle_unknown == "infrequent_if_exist"
                and all(c is None for c in getattr(part, "infrequent_categories_", [None]))):
            part.handle_unknown = "ignore"  # what scikit-learn does then: all zeros
    return model


def _register_imputer() -> None:
    """Make skl2onnx convert ``SimpleImputer(add_indicator=True)`` with its indicators."""
    from skl2onnx import update_registered_converter
    from sklearn.impute import SimpleImputer

    update_registered_converter(SimpleImputer, "SklearnSimpleImputer",
                                _imputer_shape, _imputer_with_indicator)


def _indicated(operator: Any) -> list[int]:
    part = operator.raw_operator
    if not part.add_indicator or part.indicator_ is None:
        return []
    return [int(i) for i in part.indicator_.features_]


def _imputer_shape(operator: Any) -> None:
    from skl2onnx.shape_calculators.imputer import calculate_sklearn_imputer_output_shapes

    calculate_sklearn_imputer_output_shapes(operator)
    indicated = _indicated(operator)
    rows, columns = operator.outputs[0].type.shape
    if indicated:
        operator.outputs[0].type.shape = [rows, None if columns is None
                                          else columns + len(indicated)]


def _imputer_with_indicator(scope: Any, operator: Any, container: Any) -> None:
    """Imputed values, then one 0/1 column per indicated feature (scikit-learn's order)."""
    import numpy as np
    from skl2onnx.operator_converters.common import concatenate_variables
    from skl2onnx.operator_converters.imputer_op import convert_sklearn_imputer
    from skl2onnx.proto import onnx_proto

    indicated = _indicated(operator)
    part = operator.raw_operator
    if not indicated:
        convert_sklearn_imputer(scope, operator, container)
        return
    if not (isinstance(part.missing_values, float) and np.isnan(part.missing_values)):
        raise NotConvertible("a SimpleImputer with indicators imputes something other "
                             "than NaN")

    def name(what: str) -> str:
        return str(scope.get_unique_variable_name(what))

    values = concatenate_variables(scope, operator.inputs, container)
    imputed, missing, picked, flags, columns = (name("imputed"), name("isnan"),
                                                name("picked"), name("flags"), name("columns"))
    container.add_node("Imputer", values, imputed, op_domain="ai.onnx.ml",
                       name=scope.get_unique_operator_name("Imputer"),
                       imputed_value_floats=part.statistics_.astype(np.float32),
                       replaced_value_float=float("nan"))
    container.add_node("IsNaN", values, missing, name=scope.get_unique_operator_name("IsNaN"))
    container.add_initializer(columns, onnx_proto.TensorProto.INT64, [len(indicated)],
                              indicated)
    container.add_node("Gather", [missing, columns], picked, axis=1,
                       name=scope.get_unique_operator_name("Gather"))
    container.add_node("Cast", picked, flags, to=onnx_proto.TensorProto.FLOAT,
                       name=scope.get_unique_operator_name("Cast"))
    container.add_node("Concat", [imputed, flags], operator.outputs[0].full_name, axis=1,
                       name=scope.get_unique_operator_name("Concat"))


class OnnxModel:
    """An ONNX form scoring prepared frames: ``predict_proba`` as the model's."""

    scorer = "onnx"

    def __init__(self, data: bytes, numeric: Sequence[str], categorical: Sequence[str]) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # as the service's other pools: see _server
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(data, options,
                                                    providers=["CPUExecutionProvider"])
        self.version = f"onnxruntime {onnxruntime.__version__}"
        self.numeric = tuple(numeric)
        self.categorical = tuple(categorical)
        self._probabilities = self.session.get_outputs()[1].name

    def predict_proba(self, features: Any) -> Any:
        """Class probabilities (float64) of a prepared frame (numbers float64, text or NaN)."""
        import numpy as np

        feeds: dict[str, np.ndarray[Any, Any]] = {}
        for name in self.numeric:
            feeds[name] = np.asarray(features[name], dtype=np.float32).reshape(-1, 1)
        for name in self.categorical:
            values = np.asarray(features[name], dtype=object)
            text = np.array(["" if v is None or v != v else str(v) for v in values],
                            dtype=object)
            feeds[name] = text.reshape(-1, 1)
        (probabilities,) = self.session.run([self._probabilities], feeds)
        return np.asarray(probabilities, dtype=np.float64)


def parity_problem(model: Any, onnx_model: OnnxModel, features: Any,
                   threshold: float) -> str | None:
    """Why ``onnx_model`` may not stand in for ``model`` on prepared ``features``, or None.

    Every positive-class probability must be within :data:`TOLERANCE` of the
    model's and every label at ``threshold`` the same.
    """
    import numpy as np

    if len(features) == 0:
        return "no rows to check it on"
    expected = np.asarray(model.predict_proba(features), dtype=np.float64)[:, -1]
    got = onnx_model.predict_proba(features)[:, -1]
    gap = float(np.max(np.abs(expected - got)))
    if not gap <= TOLERANCE:
        return (f"its probabilities differ by up to {gap:.2g} on {len(features)} rows "
                f"(tolerance {TOLERANCE:g})")
    flipped = int(np.count_nonzero((expected >= threshold) != (got >= threshold)))
    if flipped:
        return f"{flipped} of {len(features)} labels differ at the threshold {threshold:g}"
    return None
