"""The seed note's U-Net, configurable, and a feature-map extractor.

``unet()`` with its defaults builds exactly the network of the seed note
(``seed/cnn_training_flow_zh.md``): two encoder levels of two 3x3 ReLU convolutions and a 2x2
max pooling, a bottleneck, two decoder levels of 2x upsampling + skip concatenation + two
convolutions, and a 1x1 softmax classifier: 1,883,202 parameters for a 128x128x3 input and
2 classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from . import _keras_metrics  # noqa: F401  (registers the course's metrics for load_model)
from ._validate import check_choice, check_int

__all__ = ["unet", "feature_maps", "describe", "LayerInfo", "UPSAMPLING_MODES"]

UPSAMPLING_MODES = ("nearest", "bilinear", "transpose")


def _conv_block(x, filters: int, name: str):
    """Two 3x3 'same' ReLU convolutions: (H, W, C) -> (H, W, filters)."""
    x = layers.Conv2D(filters, 3, activation="relu", padding="same", name=f"{name}_conv1")(x)
    return layers.Conv2D(filters, 3, activation="relu", padding="same", name=f"{name}_conv2")(x)


def _upsample(x, filters: int, mode: str, name: str):
    """2x upsampling: (H, W, C) -> (2H, 2W, C) (or (2H, 2W, filters) for "transpose")."""
    if mode == "transpose":
        return layers.Conv2DTranspose(filters, 2, strides=2, padding="same", name=name)(x)
    return layers.UpSampling2D(size=2, interpolation=mode, name=name)(x)


def unet(
    input_shape: tuple[int, int, int] = (128, 128, 3),
    num_classes: int = 2,
    base_filters: int = 64,
    upsampling: str = "nearest",
    dtype_policy: str | None = None,
) -> keras.Model:
    """Build the seed note's U-Net.

    Parameters
    ----------
    input_shape : (H, W, C)
        Integers; H and W must be divisible by 4 (two 2x2 poolings).  H and W may be ``None``
        (e.g. ``(None, None, 3)``): the model then takes images of any size whose height and width
        are divisible by 4 (pad others; the parameters do not depend on the size).
    num_classes : int
        Channels of the softmax output, one per class.
    base_filters : int
        Filters of the first level; the levels use ``f, 2f, 4f, 2f, f``.
    upsampling : {"nearest", "bilinear", "transpose"}
        ``"nearest"`` is the seed's ``UpSampling2D``; ``"transpose"`` uses a learned 2x2
        ``Conv2DTranspose`` with stride 2 instead.
    dtype_policy : {None, "float32", "mixed_float16", "mixed_bfloat16"}
        Keras dtype policy of the model and its layers; ``None`` uses the global one
        (``keras.config.dtype_policy()``, float32 by default). Under a ``mixed_*`` policy the layers
        compute in 16 bits and keep float32 weights, while the ``classifier`` (1x1 convolution and
        softmax) computes in float32, so the probabilities that feed the loss are float32.

    Returns
    -------
    keras.Model
        Input ``(N, H, W, C)`` -> softmax probabilities ``(N, H, W, num_classes)``. Layer names
        (stable, used by lessons 08-09): ``image``, ``enc1_conv1``, ``enc1_conv2``, ``pool1``,
        ``enc2_conv1/2``, ``pool2``, ``bottleneck_conv1/2``, ``up4``, ``skip4``,
        ``dec4_conv1/2``, ``up5``, ``skip5``, ``dec5_conv1/2``, ``classifier``.

    Raises
    ------
    ValueError
        For a malformed ``input_shape``, H or W not divisible by 4, ``num_classes`` or
        ``base_filters`` not an integer >= 1, or an unknown ``upsampling``.

    Examples
    --------
    >>> unet().count_params()
    1883202
    >>> unet(upsampling="transpose").count_params()
    2211266
    >>> unet((64, 96, 1), num_classes=3, base_filters=8).output.shape
    (None, 64, 96, 3)
    >>> unet((None, None, 3), base_filters=8).output.shape
    (None, None, None, 2)
    """
    try:
        dims = tuple(input_shape)
    except TypeError:
        dims = ()

    def is_int(v) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if len(dims) != 3 or not (all(v is None or is_int(v) for v in dims[:2]) and is_int(dims[2])):
        raise ValueError(
            f"input_shape must be (H, W, C) with 3 integers (H and W may be None for any size), "
            f"e.g. (128, 128, 3) or (None, None, 3); got {input_shape!r}."
        )
    h, w, c = (None if v is None else int(v) for v in dims)
    if min(v for v in (h, w, c) if v is not None) < 1:
        raise ValueError(f"input_shape must be positive, got {input_shape!r}.")
    if (h or 4) % 4 or (w or 4) % 4:
        raise ValueError(
            f"input height and width must be divisible by 4 (two 2x2 poolings halve them twice), "
            f"got {h or 'any'}x{w or 'any'}. Resize or pad the images, e.g. to "
            f"{h and (h - h % 4 or 4) or 'any'}x{w and (w - w % 4 or 4) or 'any'}."
        )
    num_classes = check_int("num_classes", num_classes)
    f = check_int("base_filters", base_filters)
    check_choice("upsampling", upsampling, UPSAMPLING_MODES)
    check_choice("dtype_policy", dtype_policy, (None, "float32", "mixed_float16", "mixed_bfloat16"))
    previous = keras.config.dtype_policy()
    if dtype_policy is not None:  # the outer Model takes the policy too (compile reads it)
        keras.config.set_dtype_policy(dtype_policy)
    try:
        return _build_unet((h, w, c), num_classes, f, upsampling)
    finally:
        keras.config.set_dtype_policy(previous)


def _build_unet(shape, num_classes: int, f: int, upsampling: str) -> keras.Model:
    """The layers of :func:`unet` under the current global dtype policy."""
    mixed = keras.config.dtype_policy().name.startswith("mixed")
    inputs = keras.Input(shape, name="image")
    conv1 = _conv_block(inputs, f, "enc1")  # (H, W, f)
    pool1 = layers.MaxPooling2D(2, name="pool1")(conv1)  # (H/2, W/2, f)
    conv2 = _conv_block(pool1, 2 * f, "enc2")  # (H/2, W/2, 2f)
    pool2 = layers.MaxPooling2D(2, name="pool2")(conv2)  # (H/4, W/4, 2f)
    conv3 = _conv_block(pool2, 4 * f, "bottleneck")  # (H/4, W/4, 4f)
    up4 = _upsample(conv3, 4 * f, upsampling, "up4")  # (H/2, W/2, 4f)
    merge4 = layers.Concatenate(axis=3, name="skip4")([conv2, up4])  # (H/2, W/2, 6f)
    conv4 = _conv_block(merge4, 2 * f, "dec4")  # (H/2, W/2, 2f)
    up5 = _upsample(conv4, 2 * f, upsampling, "up5")  # (H, W, 2f)
    merge5 = layers.Concatenate(axis=3, name="skip5")([conv1, up5])  # (H, W, 3f)
    conv5 = _conv_block(merge5, f, "dec5")  # (H, W, f)
    outputs = layers.Conv2D(
        num_classes, 1, activation="softmax", name="classifier", dtype="float32" if mixed else None
    )(conv5)  # float32 softmax
    return keras.Model(inputs, outputs, name="unet")


def feature_maps(model: keras.Model, x, layer_names: list[str] | None = None) -> dict:
    """Run ``x`` through ``model`` and return the output of each named layer.

    Works for Functional and Sequential Keras 3 models (a Sequential model is called once so that
    its layers have defined outputs).

    Parameters
    ----------
    model : keras.Model
    x : array, shape (N, H, W, C) or one image (H, W, C)
    layer_names : str or list of str, optional
        Layers to read (see ``[layer.name for layer in model.layers]``). Default: every layer
        except the input layer.

    Returns
    -------
    dict
        ``name -> ndarray`` of shape ``(N, h, w, channels)`` (batch axis kept).

    Examples
    --------
    >>> import numpy as np
    >>> m = unet((16, 16, 3), base_filters=2)
    >>> fm = feature_maps(m, np.zeros((16, 16, 3), "float32"), ["pool1", "classifier"])
    >>> {k: v.shape for k, v in fm.items()}
    {'pool1': (1, 8, 8, 2), 'classifier': (1, 16, 16, 2)}
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}.")
    arr = np.asarray(x, dtype="float32")
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"x must be (N, H, W, C) or (H, W, C), got shape {arr.shape}.")
    if not model.built or not hasattr(model, "inputs") or model.inputs is None:
        model(arr[:1])
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:  # Sequential never built symbolically: build it through its input shape
        model(arr[:1])
        inputs = model.inputs
    available = [layer.name for layer in model.layers if not isinstance(layer, layers.InputLayer)]
    if isinstance(layer_names, str):
        layer_names = [layer_names]
    names = available if layer_names is None else list(layer_names)
    if not names:
        raise ValueError("layer_names is empty: pass None for every layer, or some layer names.")
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f"unknown layer name(s) {unknown}; this model has: {available}.")
    probe = keras.Model(inputs, [model.get_layer(n).output for n in names])
    outs = probe.predict(arr, verbose=0)
    if len(names) == 1:
        outs = [outs]
    return {n: np.asarray(o) for n, o in zip(names, outs, strict=True)}


# --------------------------------------------------------------------------------------------
# what a model is made of
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerInfo:
    """One layer of a model: name, Keras class, role, output shape, parameters and inputs, and
    where it sits in the "U".

    ``role`` is one of ``"input"``, ``"conv"``, ``"pool"``, ``"up"``, ``"concat"``,
    ``"classifier"`` (a convolution whose output is the model's output) or ``"other"``;
    ``shape`` is the output shape without the batch axis (``None`` for a size the model leaves
    open); ``inputs`` are the names of the layers it reads, in order; ``window`` is the kernel
    size of a convolution, the pool size of a pooling or the factor of an upsampling (``()``
    otherwise).  ``level`` counts the 2x downsamplings between the model's input and this
    layer's output (pooling and strides add, upsampling subtracts), read from the wiring, not
    from the shapes.  ``part`` is ``"input"``, ``"encoder"`` (before the bottom of the U),
    ``"bottleneck"`` (the layers computed at the deepest level), ``"decoder"`` (after it) or
    ``"classifier"``.  These are the one description of a model's layout that the pictures
    (:func:`course_utils.viz.unet_diagram`, :func:`course_utils.viz.u_picture`) and the
    checkers read.
    """

    name: str
    kind: str
    role: str
    shape: tuple[int | None, ...]
    params: int
    inputs: tuple[str, ...]
    window: tuple[int, ...] = ()
    level: int = 0
    part: str = ""


def _role(layer, outputs: set[int]) -> str:
    if isinstance(layer, layers.InputLayer):
        return "input"
    if isinstance(layer, (layers.UpSampling2D, layers.Conv2DTranspose)):
        return "up"
    if isinstance(layer, layers.Conv2D):
        return "classifier" if id(layer.output) in outputs else "conv"
    if isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
        return "pool"
    if isinstance(layer, layers.Concatenate):
        return "concat"
    return "other"


def _window(layer) -> tuple[tuple[int, ...], int]:
    """The layer's window (kernel, pool size or upsampling factor) and its change of level."""
    if isinstance(layer, layers.UpSampling2D):
        size = tuple(int(v) for v in layer.size)
        return size, -int(round(np.log2(size[0])))
    window = tuple(int(v) for v in getattr(layer, "kernel_size", getattr(layer, "pool_size", ())))
    strides = getattr(layer, "strides", (1,))
    step = int(round(np.log2(strides[0]))) if strides else 0
    return window, -step if isinstance(layer, layers.Conv2DTranspose) else step


def _parts(roles: list[str], levels: list[int]) -> list[str]:
    """encoder / bottleneck / decoder from the levels: the bottleneck is the layers computed at
    the deepest level (not the pooling into it, not the upsampling out of it)."""
    depth = max(levels, default=0)
    bottom = [i for i, (r, v) in enumerate(zip(roles, levels, strict=True)) if v == depth]
    computed = [i for i in bottom if roles[i] not in ("pool", "up")]
    if depth == 0:
        first = last = len(roles)  # no pooling, no U: everything is encoder
    elif computed:
        first, last = computed[0], computed[-1]
    else:  # the deepest level is a pooling straight back up: no bottleneck layer
        first, last = bottom[-1] + 1, bottom[-1]
    named = {"input": "input", "classifier": "classifier"}
    return [
        named.get(r, "encoder" if i < first else "bottleneck" if i <= last else "decoder")
        for i, r in enumerate(roles)
    ]


def describe(model: keras.Model) -> tuple[LayerInfo, ...]:
    """Describe every layer of a built model, read from the live Keras objects.

    Parameters
    ----------
    model : keras.Model
        A Functional model, or a Sequential one that has been built (called once).

    Returns
    -------
    tuple of LayerInfo
        In the model's layer order (the input layer first for a Functional model).

    Examples
    --------
    >>> info = {ly.name: ly for ly in describe(unet((16, 16, 3), base_filters=2))}
    >>> info["skip4"].role, info["skip4"].inputs, info["skip4"].shape
    ('concat', ('enc2_conv2', 'up4'), (8, 8, 12))
    >>> info["classifier"].role, info["classifier"].params
    ('classifier', 6)
    >>> [(n, info[n].level, info[n].part) for n in ("enc1_conv2", "pool2", "bottleneck_conv1", "up4")]
    [('enc1_conv2', 0, 'encoder'), ('pool2', 2, 'encoder'), ('bottleneck_conv1', 2, 'bottleneck'), ('up4', 1, 'decoder')]
    >>> info["enc1_conv1"].window, info["pool1"].window, info["up4"].window
    ((3, 3), (2, 2), (2, 2))
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}.")
    try:
        model_inputs, model_outputs = list(model.inputs), list(model.outputs)
    except (AttributeError, ValueError):
        model_inputs = model_outputs = None
    if not model_inputs:
        raise ValueError("the model is not built: call it once on a batch, or use keras.Input.")
    producer = {id(t): getattr(t, "name", "input") for t in model_inputs}
    for layer in model.layers:
        producer[id(layer.output)] = layer.name
    outputs = {id(t) for t in model_outputs}
    rows, levels = [], {}
    for layer in model.layers:
        role = _role(layer, outputs)
        if role == "input":
            inputs: tuple[str, ...] = ()
        else:
            try:
                tensors = keras.tree.flatten(layer.input)
            except (AttributeError, ValueError) as err:
                raise ValueError(
                    f"layer {layer.name!r} is used more than once; describe needs each layer once."
                ) from err
            inputs = tuple(producer.get(id(t), "?") for t in tensors)
        window, step = _window(layer)
        levels[layer.name] = max((levels.get(n, 0) for n in inputs), default=0) + step
        shape = tuple(None if v is None else int(v) for v in tuple(layer.output.shape)[1:])
        rows.append(
            (
                layer.name,
                type(layer).__name__,
                role,
                shape,
                int(layer.count_params()),
                inputs,
                window,
            )
        )
    parts = _parts([r[2] for r in rows], [levels[r[0]] for r in rows])
    out = [
        LayerInfo(*row, level=levels[row[0]], part=part)
        for row, part in zip(rows, parts, strict=True)
    ]
    return tuple(out)
