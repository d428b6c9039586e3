"""course_utils.ops against SciPy and Keras on random inputs, and its input validation."""

import itertools

import keras
import numpy as np
import pytest
from scipy import signal

from course_utils import ops

RNG = np.random.default_rng(42)


def keras_out(layer, x):
    """Run a Keras layer on one (H, W, C) image; return (H', W', C') as float64."""
    return np.asarray(keras.ops.convert_to_numpy(layer(x[None].astype("float32")))[0], float)


# ---- conv2d ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kshape", [(3, 3), (5, 5), (2, 2), (4, 3), (1, 1)])
def test_conv2d_equals_scipy_correlate2d_valid(kshape):
    x = RNG.normal(size=(13, 11))
    k = RNG.normal(size=kshape)
    np.testing.assert_allclose(
        ops.conv2d(x, k), signal.correlate2d(x, k, mode="valid"), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("k", [3, 5])
def test_conv2d_same_odd_kernel_equals_scipy_zero_padded(k):
    x = RNG.normal(size=(12, 9))
    kern = RNG.normal(size=(k, k))
    ref = signal.correlate2d(x, kern, mode="same", boundary="fill", fillvalue=0)
    np.testing.assert_allclose(ops.conv2d(x, kern, padding="same"), ref, rtol=1e-12, atol=1e-12)


def test_conv2d_int_padding_and_stride_equal_scipy_subsampled():
    x = RNG.normal(size=(10, 10))
    k = RNG.normal(size=(3, 3))
    full = signal.correlate2d(np.pad(x, 2), k, mode="valid")
    np.testing.assert_allclose(ops.conv2d(x, k, stride=3, padding=2), full[::3, ::3], atol=1e-12)


def test_true_convolution_is_correlation_with_flipped_kernel():
    x = RNG.normal(size=(8, 8))
    k = RNG.normal(size=(3, 3))
    np.testing.assert_allclose(
        signal.convolve2d(x, k, mode="valid"), ops.conv2d(x, k[::-1, ::-1]), atol=1e-12
    )


@pytest.mark.parametrize(
    "h,w,cin,cout,k,stride,padding",
    [
        (9, 8, 1, 1, 3, 1, "valid"),
        (9, 8, 3, 4, 3, 1, "same"),
        (9, 8, 3, 4, 3, 2, "same"),
        (10, 7, 2, 3, 4, 3, "same"),
        (10, 10, 2, 3, 4, 2, "valid"),
        (6, 6, 1, 2, 2, 1, "same"),
        (7, 9, 5, 2, 5, 2, "valid"),
        (16, 16, 3, 8, 3, 1, "same"),
    ],
)
def test_conv2d_equals_keras_conv2d(h, w, cin, cout, k, stride, padding):
    x = RNG.normal(size=(h, w, cin))
    bank = RNG.normal(size=(k, k, cin, cout))
    layer = keras.layers.Conv2D(cout, k, strides=stride, padding=padding, use_bias=False)
    layer.build((1, h, w, cin))
    layer.set_weights([bank])
    ours = ops.conv2d(x, bank, stride=stride, padding=padding)
    assert ours.shape == keras_out(layer, x).shape
    np.testing.assert_allclose(ours, keras_out(layer, x), rtol=1e-4, atol=1e-4)


def test_conv2d_2d_image_with_keras_bank_has_channel_axis():
    x = RNG.normal(size=(6, 6))
    assert ops.conv2d(x, RNG.normal(size=(3, 3, 1, 5))).shape == (4, 4, 5)
    assert ops.conv2d(x, RNG.normal(size=(3, 3))).shape == (4, 4)


def test_conv2d_output_size_formula_over_many_settings():
    for n, k, s, p in itertools.product([5, 8, 13], [1, 2, 3, 5], [1, 2, 3], [0, 1, 2]):
        if n + 2 * p < k:
            continue
        out = ops.conv2d(np.ones((n, n)), np.ones((k, k)), stride=s, padding=p)
        assert (
            out.shape == (ops.conv_output_size(n, k, s, p),) * 2 == ((n + 2 * p - k) // s + 1,) * 2
        )


@pytest.mark.parametrize(
    "args,kwargs,match",
    [
        ((np.ones((2, 3, 4, 5)), np.ones((3, 3))), {}, r"\(H, W\) or \(H, W, C\)"),
        ((np.ones((5,)), np.ones((3, 3))), {}, r"\(H, W\) or \(H, W, C\)"),
        ((np.ones((4, 4)), np.ones((5, 5))), {}, "larger than the padded input"),
        ((np.ones((4, 4)), np.ones((3, 3))), {"stride": 0}, "stride must be an integer >= 1"),
        ((np.ones((4, 4)), np.ones((3, 3))), {"stride": 1.5}, "stride must be an integer >= 1"),
        ((np.ones((4, 4, 3)), np.ones((3, 3, 2, 1))), {}, "channel mismatch"),
        ((np.ones((4, 4, 3)), np.ones((3, 3))), {}, "2-D kernel"),
        ((np.ones((4, 4)), np.ones((3, 3, 1))), {}, r"kernel must have shape"),
        ((np.ones((4, 4)), np.ones((3, 3))), {"padding": "full"}, "padding must be"),
        ((np.ones((4, 4)), np.ones((3, 3))), {"padding": -1}, "padding must be"),
        ((np.array([["a", "b"], ["c", "d"]]), np.ones((1, 1))), {}, "numeric array"),
        ((np.array([[1.0, np.nan], [0, 0]]), np.ones((1, 1))), {}, "NaN or infinite"),
        ((np.ones((4, 4)), np.ones((3, 3)) * 1j), {}, "real-valued"),
    ],
)
def test_conv2d_bad_inputs_raise_clear_value_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ops.conv2d(*args, **kwargs)


def test_conv2d_error_says_what_to_do():
    with pytest.raises(ValueError) as err:
        ops.conv2d(np.ones((4, 4, 3)), np.ones((3, 3, 2, 1)))
    assert "Make kernel.shape[2] equal x.shape[-1]" in str(err.value)


def test_conv2d_accepts_integer_and_bool_images():
    out = ops.conv2d(np.eye(4, dtype=np.uint8), np.ones((2, 2), dtype=int))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[2, 1, 0], [1, 2, 1], [0, 1, 2]])


# ---- other operations vs Keras ---------------------------------------------------------------
def test_relu_equals_keras():
    x = RNG.normal(size=(7, 5, 3))
    np.testing.assert_allclose(ops.relu(x), keras_out(keras.layers.ReLU(), x), atol=1e-6)


@pytest.mark.parametrize(
    "pool,stride,padding",
    [(2, None, "valid"), (3, 2, "valid"), (3, 2, "same"), (2, 1, "same"), (3, 3, "same")],
)
def test_pooling_equals_keras(pool, stride, padding):
    x = RNG.normal(size=(7, 9, 2))
    for layer_cls, fn in [
        (keras.layers.MaxPooling2D, ops.max_pool2d),
        (keras.layers.AveragePooling2D, ops.avg_pool2d),
    ]:
        ref = keras_out(layer_cls(pool, strides=stride, padding=padding), x)
        np.testing.assert_allclose(fn(x, pool, stride, padding), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "k,s,padding",
    [
        (3, 2, "valid"),
        (3, 2, "same"),
        (2, 2, "valid"),
        (4, 3, "same"),
        (2, 3, "valid"),
        (2, 3, "same"),
        (3, 1, "valid"),
        (5, 2, "same"),
    ],
)
def test_conv2d_transpose_equals_keras(k, s, padding):
    x = RNG.normal(size=(5, 4, 3))
    kern = RNG.normal(size=(k, k, 2, 3))  # Conv2DTranspose layout (kh, kw, Cout, Cin)
    layer = keras.layers.Conv2DTranspose(2, k, strides=s, padding=padding, use_bias=False)
    layer.build((1, 5, 4, 3))
    layer.set_weights([kern])
    ref = keras_out(layer, x)
    ours = ops.conv2d_transpose(x, kern, stride=s, padding=padding)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-5)


def test_conv2d_transpose_int_padding_follows_formula():
    x = RNG.normal(size=(4, 4))
    for k, s, p in [(3, 2, 0), (3, 2, 1), (4, 2, 1), (5, 3, 2)]:
        out = ops.conv2d_transpose(x, np.ones((k, k)), stride=s, padding=p)
        assert out.shape == ((4 - 1) * s + k - 2 * p,) * 2


def test_conv2d_transpose_is_adjoint_of_conv2d():
    # <conv(x), y> == <x, conv_transpose(y)>: the defining property of the transpose
    x = RNG.normal(size=(9, 9))
    k = RNG.normal(size=(3, 3))
    y = RNG.normal(size=ops.conv2d(x, k, stride=2).shape)
    lhs = np.sum(ops.conv2d(x, k, stride=2) * y)
    rhs = np.sum(x * ops.conv2d_transpose(y, k, stride=2))
    assert lhs == pytest.approx(rhs, rel=1e-10)


@pytest.mark.parametrize("interp", ["nearest", "bilinear"])
@pytest.mark.parametrize("size", [2, 3])
def test_upsample2d_equals_keras(interp, size):
    x = RNG.normal(size=(5, 4, 2))
    ref = keras_out(keras.layers.UpSampling2D(size, interpolation=interp), x)
    np.testing.assert_allclose(ops.upsample2d(x, size, interp), ref, rtol=1e-5, atol=1e-5)


def test_concat_skip_equals_keras_and_explains_odd_sizes():
    e, d = RNG.normal(size=(8, 8, 3)), RNG.normal(size=(8, 8, 5))
    ref = np.asarray(keras.layers.Concatenate(axis=-1)([e[None], d[None]]))[0]
    np.testing.assert_allclose(ops.concat_skip(e, d), ref, atol=1e-6)
    with pytest.raises(ValueError, match=r"25x25, an odd size.*12x12.*24x24"):
        ops.concat_skip(np.zeros((25, 25, 4)), np.zeros((24, 24, 4)))


def test_losses_equal_keras():
    y = (RNG.random((4, 6, 6)) > 0.6).astype(float)
    p = RNG.uniform(0.01, 0.99, size=(4, 6, 6))
    bce = keras.losses.BinaryCrossentropy()(y[..., None], p[..., None])
    assert float(ops.binary_cross_entropy(y, p)) == pytest.approx(float(bce), rel=1e-5)
    logits = RNG.normal(size=(4, 6, 6, 3))
    probs = ops.softmax(logits)
    labels = RNG.integers(0, 3, size=(4, 6, 6))
    onehot = np.eye(3)[labels]
    cce = keras.losses.CategoricalCrossentropy()(onehot, probs)
    scce = keras.losses.SparseCategoricalCrossentropy()(labels, probs)
    assert float(ops.categorical_cross_entropy(onehot, probs)) == pytest.approx(
        float(cce), rel=1e-5
    )
    assert float(ops.sparse_categorical_cross_entropy(labels, probs)) == pytest.approx(
        float(scce), rel=1e-5
    )


def test_two_class_softmax_ce_equals_sigmoid_bce_of_logit_difference():
    z = RNG.normal(size=(5, 5, 2))
    y = RNG.integers(0, 2, size=(5, 5))
    cce = ops.categorical_cross_entropy(np.eye(2)[y], ops.softmax(z))
    bce = ops.binary_cross_entropy(y, ops.sigmoid(z[..., 1] - z[..., 0]))
    assert float(cce) == pytest.approx(float(bce), rel=1e-9)


def test_loss_input_validation():
    with pytest.raises(ValueError, match="probabilities in"):
        ops.binary_cross_entropy([1.0], [1.5])
    with pytest.raises(ValueError, match="same shape"):
        ops.categorical_cross_entropy(np.ones((2, 2)), np.ones((2, 3)) / 3)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]"):
        ops.sparse_categorical_cross_entropy([2], [[0.5, 0.5]])


def test_receptive_field_and_sizes():
    assert ops.receptive_field([3] * 4) == 9
    assert ops.receptive_field([3, 3, 2, 3, 3, 2, 3, 3], [1, 1, 2, 1, 1, 2, 1, 1]) == 32
    assert ops.pool_output_size(7, 3, 2) == 3
    assert ops.conv_transpose_output_size(4, 3, 2, 1) == 7
    with pytest.raises(ValueError, match="one stride per kernel size"):
        ops.receptive_field([3, 3], [1])
    with pytest.raises(ValueError, match="larger than the padded input"):
        ops.conv_output_size(2, 5, 1, 1)
