"""Layers the builder needs that Keras does not ship: ``Maxout``.

Importing this module imports Keras; ``keras_hpo.keras`` loads it only on use.

>>> import numpy as np
>>> layer = Maxout(3, pieces=2)
>>> tuple(layer(np.ones((4, 5), dtype="float32")).shape)
(4, 3)
"""

from __future__ import annotations

from typing import Any

import keras

__all__ = ["Maxout"]


@keras.saving.register_keras_serializable(package="keras_hpo")
class Maxout(keras.layers.Layer):
    """A dense layer whose each unit is the max over ``pieces`` linear functions (Goodfellow et al., 2013).

    ``Maxout(units, pieces=k)`` holds a kernel of shape ``(inputs, units, k)``
    and a bias ``(units, k)``; it is saved and loaded with the model like any
    Keras layer (registered as ``keras_hpo>Maxout``).

    >>> model = keras.Sequential([keras.Input((8,)), Maxout(4, pieces=3), keras.layers.Dense(1)])
    >>> model.output_shape
    (None, 1)
    """

    def __init__(self, units: int, pieces: int = 2, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        if not isinstance(pieces, int) or isinstance(pieces, bool) or pieces < 1:
            raise ValueError(f"pieces must be a positive integer, got {pieces!r}")
        self.units = units
        self.pieces = pieces
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape: tuple) -> None:
        inputs = input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(inputs, self.units * self.pieces),
                                      initializer=self.kernel_initializer)
        self.bias = self.add_weight(name="bias", shape=(self.units * self.pieces,), initializer=self.bias_initializer)

    def call(self, inputs: Any) -> Any:
        z = keras.ops.matmul(inputs, self.kernel) + self.bias
        z = keras.ops.reshape(z, (*keras.ops.shape(z)[:-1], self.units, self.pieces))
        return keras.ops.max(z, axis=-1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(units=self.units, pieces=self.pieces,
                      kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
                      bias_initializer=keras.initializers.serialize(self.bias_initializer))
        return config
