"""From a params dict to a Keras network: ``build_mlp``, the ready model function ``mlp`` and ``mlp_space``.

The keys are the standard ones of the design: ``layers``, ``units`` (or per layer
``units_0``, ``units_1``, ...), ``activation`` (or ``activation_0``, ...),
``initializer``, ``dropout``, ``batch_norm``, ``maxout_k``, ``optimizer`` and
``learning_rate``. Keras objects are named by string; an unknown name raises a
``ValueError`` that lists the known ones. Keras is imported only when a network
is built, so the name tables and ``mlp_space`` cost nothing.

>>> import keras_hpo as kh
>>> model_fn = kh.keras.mlp(input_shape=64, outputs=10)
>>> model = model_fn({"layers": 2, "units_0": 32, "units_1": 16, "activation_0": "maxout", "activation_1": "gelu"})
>>> [type(model.get_layer(name)).__name__ for name in ("hidden_0", "hidden_1")]
['Maxout', 'Dense']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..space import Choice, Fixed, Float, Int, Space

__all__ = ["ACTIVATIONS", "INITIALIZERS", "OPTIMIZERS", "build_mlp", "mlp", "MLP", "mlp_space", "make_optimizer",
           "check_names"]

#: hidden-layer activations ``build_mlp`` knows (leaky_relu has negative slope 0.1; maxout is a layer)
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "swish", "softplus", "maxout", "linear")

#: weight initializers: random normal/uniform, the glorot/he/lecun heuristics, orthogonal
INITIALIZERS = ("random_normal", "random_uniform", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
                "lecun_normal", "lecun_uniform", "orthogonal")

# name -> (Keras class, fixed options)
_OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "rmsprop": ("RMSprop", {}),
    "adam": ("Adam", {}),
    "adamw": ("AdamW", {}),
    "nadam": ("Nadam", {}),
    "adagrad": ("Adagrad", {}),
    "adamax": ("Adamax", {}),
    "adadelta": ("Adadelta", {}),
}

#: optimizers by name; ``momentum`` and ``nesterov`` are SGD with momentum 0.9 (Nesterov's for the latter)
OPTIMIZERS = tuple(_OPTIMIZERS)

_TABLES = {"activation": ACTIVATIONS, "initializer": INITIALIZERS, "optimizer": OPTIMIZERS}
_LEAKY_SLOPE = 0.1


def _known(kind: str, value: Any, key: str | None = None) -> str:
    """``value`` as a lower-case known name of ``kind``, or a ValueError that lists the known names."""
    table = _TABLES[kind]
    name = value.lower() if isinstance(value, str) else value
    if name in table:
        return name
    if kind == "optimizer" and _keras_optimizer(name) is not None:
        return name  # any other optimizer Keras itself knows by name (ftrl, lion, ...)
    also = ", or any name keras.optimizers.get knows" if kind == "optimizer" else ""
    raise ValueError(f"{key or kind}: unknown {kind} {value!r}; the known ones are {', '.join(table)}{also}")


def _keras_optimizer(name: Any) -> Any:
    """The class of the Keras optimizer called ``name``, or None."""
    if not isinstance(name, str):
        return None
    import keras

    try:
        return type(keras.optimizers.get(name))
    except (ValueError, TypeError):
        return None


def make_optimizer(name: str = "adam", learning_rate: float | None = None) -> Any:
    """A fresh Keras optimizer from its name (see ``OPTIMIZERS``), with Keras's default rate unless given.

    >>> make_optimizer("nesterov", 0.05).nesterov
    True
    """
    import keras

    if isinstance(name, type):  # a class such as keras.optimizers.Adam (Talos params)
        return name(**({} if learning_rate is None else {"learning_rate": float(learning_rate)}))
    if isinstance(name, keras.optimizers.Optimizer):
        return name
    name = _known("optimizer", name)
    if name in _OPTIMIZERS:
        cls_name, options = _OPTIMIZERS[name]
        cls = getattr(keras.optimizers, cls_name)
    else:
        cls, options = _keras_optimizer(name), {}
    if learning_rate is not None:
        options = {**options, "learning_rate": float(learning_rate)}
    return cls(**options)


def _per_layer(params: Mapping[str, Any], key: str, i: int, default: Any) -> Any:
    return params.get(f"{key}_{i}", params.get(key, default))


def build_mlp(params: Mapping[str, Any], input_shape: int | Sequence[int], outputs: int,
              output_activation: str | None = None) -> Any:
    """An uncompiled ``keras.Model``: ``layers`` hidden blocks, then a dense output of ``outputs`` units.

    Each hidden block ``i`` is a dense layer of ``units_i`` (else ``units``, default
    32) units with ``activation_i`` (else ``activation``, default relu) and
    ``initializer_i`` (else ``initializer``, default glorot_uniform), then batch
    normalisation when ``batch_norm`` is true, then dropout at rate ``dropout``. A
    ``maxout`` block is a ``Maxout`` layer of ``maxout_k`` (default 2) pieces.
    ``output_activation`` is that of the last layer (None: linear).

    >>> build_mlp({"layers": 1, "units": 8, "activation": "leaky_relu"}, input_shape=4, outputs=1).count_params()
    49
    """
    import keras

    from .layers import Maxout

    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict, got {type(params).__name__}")
    n_layers = params.get("layers", 1)
    if not isinstance(n_layers, int) or isinstance(n_layers, bool) or n_layers < 0:
        raise ValueError(f"layers must be a non-negative integer, got {n_layers!r}")
    if not isinstance(outputs, int) or isinstance(outputs, bool) or outputs < 1:
        raise ValueError(f"outputs must be a positive integer, got {outputs!r}")
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    dropout = float(params.get("dropout", 0.0))
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    batch_norm = bool(params.get("batch_norm", False))
    pieces = int(params.get("maxout_k", 2))

    inputs = keras.Input(shape=shape, name="inputs")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(shape) > 1 else inputs
    for i in range(n_layers):
        units = _per_layer(params, "units", i, 32)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units_{i}: must be a positive integer, got {units!r}")
        activation = _known("activation", _per_layer(params, "activation", i, "relu"), f"activation_{i}")
        initializer = _known("initializer", _per_layer(params, "initializer", i, "glorot_uniform"), f"initializer_{i}")
        if activation == "maxout":
            x = Maxout(units, pieces=pieces, kernel_initializer=initializer, name=f"hidden_{i}")(x)
            post = None
        else:
            inline = activation if not batch_norm and activation != "leaky_relu" else None
            x = keras.layers.Dense(units, activation=inline, kernel_initializer=initializer, name=f"hidden_{i}")(x)
            post = None if inline is not None else activation
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"batch_norm_{i}")(x)
        if post == "leaky_relu":
            x = keras.layers.LeakyReLU(negative_slope=_LEAKY_SLOPE, name=f"activation_{i}")(x)
        elif post is not None:
            x = keras.layers.Activation(post, name=f"activation_{i}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    out = keras.layers.Dense(outputs, activation=output_activation, name="output")(x)
    return keras.Model(inputs, out, name="mlp")


class MLP:
    """The ready model function made by ``mlp``: ``model_fn(params) -> compiled keras.Model``.

    Picklable (it holds only its options), and it checks a space's names before
    any training (``tune`` calls ``check_space``).
    """

    #: ``tune`` refuses to run it without ``data=``
    needs_data = True

    def __init__(self, input_shape: int | Sequence[int], outputs: int, task: str = "classification",
                 loss: str | None = None) -> None:
        self.input_shape = input_shape
        self.outputs = outputs
        self.task = task
        self.loss = loss

    def __repr__(self) -> str:
        return f"mlp(input_shape={self.input_shape!r}, outputs={self.outputs!r}, task={self.task!r})"

    def _head(self) -> tuple[str, str, list[str]]:
        if self.task == "classification":
            if self.outputs == 1:
                return "sigmoid", self.loss or "binary_crossentropy", ["accuracy"]
            return "softmax", self.loss or "sparse_categorical_crossentropy", ["accuracy"]
        if self.task == "regression":
            return "linear", self.loss or "mse", ["mae"]
        raise ValueError(f"task must be 'classification' or 'regression', got {self.task!r}")

    def __call__(self, params: Mapping[str, Any]) -> Any:
        output_activation, loss, metrics = self._head()
        model = build_mlp(params, self.input_shape, self.outputs, output_activation=output_activation)
        optimizer = make_optimizer(params.get("optimizer", "adam"), params.get("learning_rate"))
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
        return model

    def check_space(self, space: Space | Mapping[str, Any]) -> None:
        """Raise ``ValueError`` for unknown names or impossible sizes and rates in ``space``, before any training."""
        self._head()
        check_keys(space)
        check_names(space)
        check_sizes(space)

    def check_data(self, x: Any, y: Any, names: tuple[str, str] = ("x", "y")) -> None:
        """Raise ``ValueError`` when the data cannot fit this network's input or head, before any training.

        Keras would fail every trial (a wrong input width, a label past the last class, one-hot labels
        for the sparse loss), or, for ``outputs=1`` on labels beyond 0 and 1, train a meaningless model.
        """
        if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):  # several inputs or outputs: Keras checks
            return
        expected = (self.input_shape,) if isinstance(self.input_shape, (int, np.integer)) else tuple(self.input_shape)
        if x.shape[1:] != expected:
            raise ValueError(f"data: {names[0]} samples have shape {x.shape[1:]} but the network was made with "
                             f"kh.keras.mlp(input_shape={self.input_shape!r}, ...), i.e. {expected}")
        if self.task != "classification" or self.loss is not None or not np.issubdtype(y.dtype, np.number):
            return
        if self.outputs > 1 and y.ndim == 2 and y.shape[1] == self.outputs:
            raise ValueError(f"data: {names[1]} is one-hot (shape {y.shape}); give integer labels "
                             f"({names[1]}.argmax(axis=1)) or pass loss='categorical_crossentropy' to kh.keras.mlp")
        labels = y.reshape(len(y), -1)[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
        if labels.ndim != 1:
            return
        if not np.all(np.equal(np.mod(labels, 1), 0)):
            raise ValueError(f"data: {names[1]} holds non-integer values; a classifier needs class labels "
                             "(for numbers to predict, use kh.keras.mlp(..., task='regression'))")
        low, high = labels.min(), labels.max()
        classes = 2 if self.outputs == 1 else self.outputs
        if low < 0 or high >= classes:
            found = int(high) + 1 if low >= 0 else None
            hint = f"; for {found} classes use kh.keras.mlp(..., outputs={found})" if found else ""
            raise ValueError(f"data: {names[1]} holds labels from {low:g} to {high:g} but "
                             f"kh.keras.mlp(outputs={self.outputs}) tells apart classes 0 to {classes - 1}{hint}")


def mlp(input_shape: int | Sequence[int], outputs: int, task: str = "classification", loss: str | None = None) -> MLP:
    """A ready model function: ``build_mlp`` plus a head and compile step for ``task``.

    Classification: softmax over ``outputs`` classes with sparse categorical
    cross-entropy (integer labels; pass ``loss="categorical_crossentropy"`` for
    one-hot), or sigmoid and binary cross-entropy when ``outputs == 1``; metric
    ``accuracy``. Regression: linear outputs, mean squared error, metric ``mae``.
    The optimizer is ``params["optimizer"]`` (default adam) at ``learning_rate``.

    >>> import keras_hpo as kh
    >>> kh.keras.mlp(64, 10)({"units": 16}).loss
    'sparse_categorical_crossentropy'
    """
    model_fn = MLP(input_shape, outputs, task, loss)
    model_fn._head()  # a bad task fails here, not in the first trial
    return model_fn


def mlp_space(max_layers: int = 3, units: tuple[int, int] = (16, 256), activations: Iterable[str] = (
        "relu", "elu", "selu", "gelu", "swish", "tanh", "leaky_relu", "maxout"), optimizers: Iterable[str] = (
        "adam", "adamw", "nadam", "rmsprop", "nesterov"), initializers: Iterable[str] = (
        "glorot_uniform", "he_normal", "lecun_normal"), epochs: int = 10, batch_sizes: Iterable[int] = (32, 64, 128),
        per_layer_activation: bool = False) -> Space:
    """A sensible default space for ``mlp``: depth, conditional per-layer widths, and the training options.

    ``units_i`` exists only when the network has more than ``i`` layers (a
    conditional parameter); with ``per_layer_activation=True`` so does
    ``activation_i``, so one network can mix activations.

    >>> space = mlp_space(max_layers=2)
    >>> space["units_1"].when
    {'layers': [2]}
    """
    if not isinstance(max_layers, int) or isinstance(max_layers, bool) or max_layers < 1:
        raise ValueError(f"max_layers must be a positive integer, got {max_layers!r}")
    low, high = units
    activations = [_known("activation", a, "activations") for a in activations]
    params: dict[str, Any] = {"layers": Int(1, max_layers) if max_layers > 1 else Fixed(1)}
    for i in range(max_layers):
        when = {"layers": list(range(i + 1, max_layers + 1))} if i > 0 else None
        params[f"units_{i}"] = Int(low, high, log=True, when=when)
        if per_layer_activation:
            params[f"activation_{i}"] = Choice(activations, when=when)
    if not per_layer_activation:
        params["activation"] = Choice(activations)
    if "maxout" in activations:
        params["maxout_k"] = Choice([2, 3, 4], when=None if per_layer_activation else {"activation": ["maxout"]})
    params.update(
        initializer=Choice([_known("initializer", n, "initializers") for n in initializers]),
        dropout=Float(0.0, 0.5),
        batch_norm=Choice([False, True]),
        optimizer=Choice([_known("optimizer", n, "optimizers") for n in optimizers]),
        learning_rate=Float(1e-4, 1e-1, log=True),
        batch_size=Choice(list(batch_sizes)),
        epochs=Fixed(epochs),
    )
    return Space(params)


def space_values(dist: Any) -> list[Any]:
    """The values to check of one distribution: every value of a choice, the bounds of a range."""
    if isinstance(dist, (Choice, Fixed)):
        return list(dist.values())
    if isinstance(dist, (Int, Float)):
        return [dist.low, dist.high]
    return []


#: the network's numeric keys: (pattern, smallest value, whether it must be an integer, what it is)
_SIZES = ((r"layers", 0, True, "a number of hidden layers"), (r"units(_\d+)?", 1, True, "a number of units"),
          (r"maxout_k", 1, True, "a number of linear pieces"), (r"dropout", 0, False, "a rate in [0, 1)"))


def check_sizes(space: Space | Mapping[str, Any]) -> None:
    """Raise ``ValueError`` when ``layers``, ``units_i``, ``maxout_k`` or ``dropout`` can take an impossible value."""
    space = Space.from_any(space)
    for pattern, low, integer, meaning in _SIZES:
        for key, dist in space.items():
            if not re.fullmatch(pattern, key):
                continue
            if integer and isinstance(dist, Float):
                raise ValueError(f"{key}: must be an integer ({meaning}); use kh.Int instead of {dist!r}")
            for value in space_values(dist):
                whole = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
                number = whole or (isinstance(value, (float, np.floating)) and not integer)
                if not number or value < low or (key == "dropout" and value >= 1):
                    raise ValueError(f"{key}: {value!r} is not {meaning}")
    for value in space_values(space["batch_norm"]) if "batch_norm" in space else ():
        if not isinstance(value, (bool, np.bool_)):  # "no" would be true: normalised
            raise ValueError(f"batch_norm: must be True or False, got {value!r}")


#: the keys ``mlp`` reads: the network's (``build_mlp``), the optimizer's, and the adapter's training options
MLP_KEYS = ("layers", "units", "activation", "initializer", "dropout", "batch_norm", "maxout_k", "optimizer",
            "learning_rate", "epochs", "batch_size", "shuffle", "validation_split")
_PER_LAYER = re.compile(r"(units|activation|initializer)_\d+")
#: names other libraries use for mlp's keys (Talos's templates, KerasTuner's examples, Keras's own arguments)
_ALIASES = {"lr": "learning_rate", "first_neuron": "units", "neurons": "units", "hidden_layers": "layers",
            "num_layers": "layers", "n_layers": "layers", "kernel_initializer": "initializer",
            "dropout_rate": "dropout", "batchnorm": "batch_norm", "batch_normalization": "batch_norm"}
_NOT_PARAMS = {"loss": "pass loss= to kh.keras.mlp(...) instead", "losses": "pass loss= to kh.keras.mlp(...) instead",
               "last_activation": "the output activation follows task= of kh.keras.mlp(...)"}


def check_keys(space: Space | Mapping[str, Any]) -> None:
    """Raise ``ValueError`` for a key ``mlp`` does not read, naming the closest known key: no silent defaults.

    >>> check_keys({"unit": [8, 16]})
    Traceback (most recent call last):
    ValueError: 'unit' is not a key of mlp; did you mean 'units'? (mlp reads layers, units, activation, initializer, dropout, batch_norm, maxout_k, optimizer, learning_rate, epochs, batch_size, shuffle, validation_split, and units_0, activation_0, initializer_0, ... per layer)
    """
    import difflib

    for key in Space.from_any(space):
        if key in MLP_KEYS or _PER_LAYER.fullmatch(key):
            continue
        known = f"(mlp reads {', '.join(MLP_KEYS)}, and units_0, activation_0, initializer_0, ... per layer)"
        if key in _NOT_PARAMS:
            raise ValueError(f"{key!r} is not a key of mlp; {_NOT_PARAMS[key]}")
        close = _ALIASES.get(key.lower()) or next(iter(difflib.get_close_matches(key, MLP_KEYS, n=1)), None)
        hint = f"; did you mean {close!r}?" if close else ""
        raise ValueError(f"{key!r} is not a key of mlp{hint} {known}")


def check_names(space: Space | Mapping[str, Any], kinds: Iterable[str] = ("activation", "initializer", "optimizer")
                ) -> None:
    """Raise ``ValueError`` when a parameter such as ``activation`` or ``activation_2`` can take an unknown name."""
    space = Space.from_any(space)
    for kind in kinds:
        pattern = re.compile(rf"{kind}(_\d+)?")
        for key, dist in space.items():
            if pattern.fullmatch(key):
                for value in space_values(dist):
                    if not (isinstance(dist, Choice) and dist.is_reference(value)):  # an object, not a name
                        _known(kind, value, key)
