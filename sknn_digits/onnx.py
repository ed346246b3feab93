"""ONNX export: a fitted network, or a pipeline ending in one, as an ONNX graph.

Importing this module registers a converter and a shape calculator for
:class:`~sknn_digits.BackpropMLPClassifier` with skl2onnx, so
``skl2onnx.to_onnx(model, X[:1].astype(np.float32))`` works for the network
alone and inside pipelines with scikit-learn's scalers.  The graph computes
what ``predict_proba`` and ``predict`` compute:

- the layers: ``z = a @ W + b``, then the hidden activation (sigmoid, tanh,
  relu or identity);
- the probabilities: softmax; the course's sigmoid units normalised to sum to
  1 per row (what ``predict_proba`` returns, not the raw sigmoids); one
  sigmoid unit as ``[1 - p, p]`` for two classes; each label's own sigmoid for
  multilabel targets;
- the labels: the class of the largest probability (``classes_`` of any type
  skl2onnx carries: integers or strings), or the 0/1 indicator matrix for
  multilabel targets.

Options as skl2onnx's classifiers have them: ``zipmap`` (True, False or
``"columns"``) and ``nocl``.  Float32 input gives a float graph, float64
(double) input a double one.  The optional extra ``onnx`` brings skl2onnx
(``pip install "sknn_digits[onnx]"``); onnxruntime runs the graphs.

Examples
--------
>>> import numpy as np
>>> from sklearn.datasets import load_digits
>>> from skl2onnx import to_onnx
>>> from sknn_digits import BackpropMLPClassifier
>>> import sknn_digits.onnx  # registers the converter
>>> X, y = load_digits(return_X_y=True)
>>> model = BackpropMLPClassifier(max_iter=50, random_state=0).fit(X / 16, y)
>>> graph = to_onnx(model, (X[:1] / 16).astype(np.float32), options={"zipmap": False})
>>> [output.name for output in graph.graph.output]
['label', 'probabilities']
"""

import numpy as np

from .estimator import BackpropMLPClassifier

try:
    from skl2onnx import update_registered_converter
    from skl2onnx.algebra.onnx_ops import (
        OnnxAdd,
        OnnxArgMax,
        OnnxCast,
        OnnxConcat,
        OnnxDiv,
        OnnxGather,
        OnnxGreater,
        OnnxIdentity,
        OnnxMatMul,
        OnnxReduceSumApi11,
        OnnxRelu,
        OnnxSigmoid,
        OnnxSoftmax,
        OnnxSub,
        OnnxTanh,
    )
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
except ImportError:  # pragma: no cover - the optional extra is missing
    raise ImportError('ONNX export needs skl2onnx: pip install "sknn_digits[onnx]"') from None

__all__ = ["export_onnx"]

#: Each hidden activation's ONNX operator (the identity needs none): one entry per row
#: of :data:`sknn_digits.core.ACTIVATIONS`, which a test holds equal.
_ACTIVATIONS = {"identity": None, "logistic": OnnxSigmoid, "tanh": OnnxTanh, "relu": OnnxRelu}


def _labels_of(model):
    """``classes_`` as the graph carries them: int64 or strings, else a clear error."""
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f" and np.all(classes == np.round(classes)):
        return classes.astype(np.int64)
    if classes.dtype.kind in "UO":
        return classes.astype(str)
    raise ValueError(f"ONNX labels are integers or strings; classes_ {classes.tolist()} are "
                     "neither.")


def _multilabel(model):
    return model._label_binarizer.y_type_ == "multilabel-indicator"


def _shapes(operator):
    """The label and probability outputs' types for skl2onnx."""
    model = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    n_classes = len(model.classes_)
    if _multilabel(model):
        operator.outputs[0].type = Int64TensorType([n, n_classes])
    elif _labels_of(model).dtype.kind == "i":
        operator.outputs[0].type = Int64TensorType([n])
    else:
        operator.outputs[0].type = StringTensorType([n])
    float_type = (DoubleTensorType if isinstance(operator.inputs[0].type, DoubleTensorType)
                  else FloatTensorType)
    operator.outputs[1].type = float_type([n, n_classes])


def _convert(scope, operator, container):
    """The network's forward pass, its probabilities and its labels, as ONNX nodes."""
    model, opv = operator.raw_operator, container.target_opset
    dtype = np.float64 if isinstance(operator.inputs[0].type, DoubleTensorType) else np.float32
    a = operator.inputs[0]
    layers = list(zip(model.coefs_, model.intercepts_))
    for number, (W, b) in enumerate(layers):
        z = OnnxAdd(OnnxMatMul(a, np.asarray(W, dtype=dtype), op_version=opv),
                    np.asarray(b, dtype=dtype), op_version=opv)
        if number < len(layers) - 1:  # a hidden layer: its activation
            if model.activation not in _ACTIVATIONS:  # never exported as another function
                raise ValueError(f"activation {model.activation!r} has no ONNX export; it is "
                                 f"one of {sorted(_ACTIVATIONS)}.")
            activation = _ACTIVATIONS[model.activation]
            a = z if activation is None else activation(z, op_version=opv)
    label_name, proba_name = operator.outputs[0].full_name, operator.outputs[1].full_name
    if _multilabel(model):
        proba = OnnxSigmoid(z, op_version=opv)
        label = OnnxCast(OnnxGreater(z, np.array([0], dtype=dtype), op_version=opv),
                         to=7, op_version=opv)  # INT64
    else:
        if model.out_activation_ == "softmax":
            proba = OnnxSoftmax(z, axis=1, op_version=opv)
        elif model.coefs_[-1].shape[1] == 1:  # one sigmoid unit: P(classes_[1])
            positive = OnnxSigmoid(z, op_version=opv)
            proba = OnnxConcat(OnnxSub(np.array([1], dtype=dtype), positive, op_version=opv),
                               positive, axis=1, op_version=opv)
        else:  # the course's units, normalised per row as predict_proba does
            units = OnnxSigmoid(z, op_version=opv)
            proba = OnnxDiv(units, OnnxReduceSumApi11(units, axes=[1], keepdims=1,
                                                      op_version=opv), op_version=opv)
        index = OnnxArgMax(proba, axis=1, keepdims=0, op_version=opv)
        label = OnnxGather(_labels_of(model), index, axis=0, op_version=opv)
    OnnxIdentity(label, output_names=[label_name], op_version=opv).add_to(scope, container)
    OnnxIdentity(proba, output_names=[proba_name], op_version=opv).add_to(scope, container)


update_registered_converter(
    BackpropMLPClassifier, "SknnDigitsBackpropMLPClassifier", _shapes, _convert,
    options={"zipmap": [True, False, "columns"], "nocl": [True, False]})


def export_onnx(model, X, options=None):
    """``model`` (a fitted network or a pipeline ending in one) as an ONNX model.

    Parameters
    ----------
    model : BackpropMLPClassifier or Pipeline
    X : ndarray
        One or more rows of input, to fix the graph's input type: float32
        gives a float graph, float64 a double one.
    options : dict, optional
        skl2onnx's options for the classifier, e.g. ``{"zipmap": False}``.

    Returns
    -------
    onnx.ModelProto
    """
    from skl2onnx import to_onnx

    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float32)
    if options is not None and type(model).__name__ == "Pipeline":
        options = {id(model.steps[-1][1]): options}
    return to_onnx(model, X[:1], options=options, target_opset=None)
