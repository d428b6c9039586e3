"""course_utils.backprop: every backward pass against central differences (float64, relative
error < 1e-7) and against the Keras backend's own autodiff (TensorFlow here, JAX in a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from course_utils import backprop as bp
from course_utils import ops

TOL = 1e-7
REPO = Path(__file__).resolve().parents[1]


def rng(seed=0):
    return np.random.default_rng(seed)


def _check(analytic, f, x):
    err = bp.relative_error(analytic, bp.numeric_gradient(f, x))
    assert err < TOL, err
    return err


# ---- numeric gradient checks ----------------------------------------------------------------
CONV_CASES = [  # x shape, kernel shape, stride, padding
    ((7, 8), (3, 3), 1, "valid"),
    ((7, 7), (3, 3), 2, "same"),  # TF's asymmetric "same" at stride 2 (extra zero after)
    ((8, 8), (3, 3), 2, "same"),
    ((6, 9), (2, 3), 1, 1),
    ((7, 8, 3), (3, 3, 3, 2), 1, "valid"),
    ((8, 9, 2), (3, 3, 2, 4), 2, "same"),
    ((9, 10, 2), (4, 3, 2, 3), 3, 1),
    ((8, 8, 2), (1, 1, 2, 3), 1, "same"),
    ((9, 9, 1), (5, 5, 1, 1), 2, "valid"),  # a stride that leaves the last row unread
]


@pytest.mark.parametrize(("xs", "ks", "stride", "padding"), CONV_CASES)
def test_conv2d_backward_matches_numeric(xs, ks, stride, padding):
    x, k = rng(1).normal(size=xs), rng(2).normal(size=ks)
    out = ops.conv2d(x, k, stride, padding)
    g = rng(3).normal(size=out.shape)
    gx, gk = bp.conv2d_backward(x, k, g, stride, padding)
    assert gx.shape == x.shape and gk.shape == k.shape
    _check(gx, lambda v: np.sum(ops.conv2d(v, k, stride, padding) * g), x)
    _check(gk, lambda v: np.sum(ops.conv2d(x, v, stride, padding) * g), k)


@pytest.mark.parametrize(("stride", "padding"), [(1, "valid"), (2, "valid"), (1, 1), (2, 1)])
def test_conv_input_gradient_is_a_transposed_convolution(stride, padding):
    x, k = rng(4).normal(size=(9, 9, 2)), rng(5).normal(size=(3, 3, 2, 3))
    g = rng(6).normal(size=ops.conv2d(x, k, stride, padding).shape)
    gx, _ = bp.conv2d_backward(x, k, g, stride, padding)
    # (kh, kw, Cin, Cout) read as Conv2DTranspose's (kh, kw, Cout', Cin') maps g's Cout back to Cin
    np.testing.assert_allclose(gx, ops.conv2d_transpose(g, k, stride, padding), atol=1e-12)


def test_conv_weight_gradient_is_input_correlated_with_upstream():
    x, k = rng(7).normal(size=(10, 10)), rng(8).normal(size=(3, 3))
    g = rng(9).normal(size=(8, 8))
    _, gk = bp.conv2d_backward(x, k, g)
    np.testing.assert_allclose(gk, ops.conv2d(x, g), atol=1e-12)


@pytest.mark.parametrize("shape", [(5, 6), (3, 4, 2)])
def test_relu_backward_matches_numeric(shape):
    x = rng(10).normal(size=shape)
    g = rng(11).normal(size=shape)
    _check(bp.relu_backward(x, g), lambda v: np.sum(ops.relu(v) * g), x)


def test_relu_backward_at_the_kink_is_zero_and_numeric_disagrees():
    x = np.array([-1.0, 0.0, 2.0])
    g = np.ones(3)
    assert bp.relu_backward(x, g).tolist() == [0.0, 0.0, 1.0]
    num = bp.numeric_gradient(lambda v: np.sum(ops.relu(v)), x)
    assert num[1] == pytest.approx(0.5)  # the central difference straddles the kink
    assert bp.relative_error(bp.relu_backward(x, g), num) > 0.1


POOL_CASES = [  # x shape, pool, stride, padding
    ((8, 8), 2, None, "valid"),
    ((7, 9, 2), 3, 2, "valid"),  # overlapping windows, last column unread
    ((7, 7), 2, 1, "same"),
    ((9, 9, 3), 3, 2, "same"),
    ((6, 6, 2), 2, 3, "valid"),  # gaps between windows
]


@pytest.mark.parametrize(("xs", "p", "s", "padding"), POOL_CASES)
def test_max_pool2d_backward_matches_numeric(xs, p, s, padding):
    x = rng(12).normal(size=xs)
    g = rng(13).normal(size=ops.max_pool2d(x, p, s, padding).shape)
    gx = bp.max_pool2d_backward(x, g, p, s, padding)
    assert gx.shape == x.shape
    _check(gx, lambda v: np.sum(ops.max_pool2d(v, p, s, padding) * g), x)


def test_max_pool2d_backward_routes_to_the_first_maximum_on_ties():
    x = np.array([[3.0, 3.0, 0.0, 1.0], [1.0, 3.0, 1.0, 1.0]])
    gx = bp.max_pool2d_backward(x, [[2.0, 5.0]])
    assert gx.tolist() == [[2.0, 0.0, 0.0, 5.0], [0.0, 0.0, 0.0, 0.0]]
    assert gx.sum() == 7.0  # never duplicated


@pytest.mark.parametrize("shape", [(4, 6), (4, 6, 3)])
def test_upsample2d_backward_matches_numeric(shape):
    x = rng(14).normal(size=shape)
    g = rng(15).normal(size=ops.upsample2d(x, 3).shape)
    _check(bp.upsample2d_backward(g, 3), lambda v: np.sum(ops.upsample2d(v, 3) * g), x)


def test_concat_skip_backward_matches_numeric():
    e, d = rng(16).normal(size=(3, 3, 2)), rng(17).normal(size=(3, 3, 4))
    g = rng(18).normal(size=(3, 3, 6))
    ge, gd = bp.concat_skip_backward(g, 2)
    _check(ge, lambda v: np.sum(ops.concat_skip(v, d) * g), e)
    _check(gd, lambda v: np.sum(ops.concat_skip(e, v) * g), d)


@pytest.mark.parametrize("onehot", [False, True])
def test_softmax_cross_entropy_backward_matches_numeric(onehot):
    z = rng(19).normal(size=(4, 5, 3))
    labels = rng(20).integers(0, 3, size=(4, 5))
    y = np.eye(3)[labels] if onehot else labels

    def loss(v):
        return ops.sparse_categorical_cross_entropy(labels, ops.softmax(v))

    grad = bp.softmax_cross_entropy_backward(z, y)
    np.testing.assert_allclose(grad, (ops.softmax(z) - np.eye(3)[labels]) / 20, atol=1e-15)
    _check(grad, loss, z)


def test_numeric_gradient_in_float32_is_far_off():
    x = rng(21).normal(size=(6, 6))
    k = rng(22).normal(size=(3, 3))
    g = rng(23).normal(size=(4, 4)).astype(np.float32)

    def f32(v):
        return float(
            np.sum(ops.conv2d(v.astype(np.float32), k).astype(np.float32) * g, dtype=np.float32)
        )

    gx, _ = bp.conv2d_backward(x, k, g)
    assert bp.relative_error(gx, bp.numeric_gradient(f32, x)) > 1e-3


def test_relative_error():
    assert bp.relative_error([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert bp.relative_error([1.0, 3.0], [1.0, 1.0]) == pytest.approx(0.5)


# ---- against Keras' autodiff (TensorFlow) ---------------------------------------------------
def _conv_layer(kernel, stride, padding):
    layer = keras.layers.Conv2D(
        kernel.shape[3],
        kernel.shape[:2],
        strides=stride,
        padding=padding,
        use_bias=False,
        dtype="float64",
    )
    layer.build((1, None, None, kernel.shape[2]))
    layer.set_weights([kernel])
    return layer


@pytest.mark.parametrize(
    ("stride", "padding"), [(1, "valid"), (1, "same"), (2, "same"), (2, "valid")]
)
def test_conv2d_backward_matches_keras_autodiff(stride, padding):
    x, k = rng(24).normal(size=(9, 8, 3)), rng(25).normal(size=(3, 3, 3, 4))
    g = rng(26).normal(size=ops.conv2d(x, k, stride, padding).shape)
    layer = _conv_layer(k, stride, padding)
    auto_x = bp.autodiff_gradient(lambda v: keras.ops.sum(layer(v[None])[0] * g), x)
    gx, gk = bp.conv2d_backward(x, k, g, stride, padding)
    assert bp.relative_error(gx, auto_x) < 1e-12

    def of_kernel(kv):
        out = keras.ops.conv(
            keras.ops.convert_to_tensor(x[None]), kv, strides=stride, padding=padding
        )
        return keras.ops.sum(out[0] * g)

    assert bp.relative_error(gk, bp.autodiff_gradient(of_kernel, k)) < 1e-12


@pytest.mark.parametrize(
    ("p", "s", "padding"),
    [(2, 2, "valid"), (3, 2, "valid"), (2, 1, "valid"), (3, 1, "same"), (3, 2, "same")],
)
def test_max_pool2d_backward_matches_keras_with_ties(p, s, padding):
    x = rng(27).integers(0, 3, size=(9, 9, 2)).astype(np.float64)  # many ties
    g = rng(28).normal(size=ops.max_pool2d(x, p, s, padding).shape)
    layer = keras.layers.MaxPooling2D(p, s, padding=padding, dtype="float64")
    auto = bp.autodiff_gradient(lambda v: keras.ops.sum(layer(v[None])[0] * g), x)
    np.testing.assert_allclose(bp.max_pool2d_backward(x, g, p, s, padding), auto, atol=1e-12)


def test_one_tie_rule_for_every_pooling_helper_and_keras():
    """ops.max_pool2d_argmax names each window's winner; the gradient, the checkers, the linked
    view (Python and the argmax it sends the browser) and Keras' own gradient agree, ties included."""
    from course_utils import linked_math
    from course_utils.checks.pooling import surviving_positions
    from course_utils.widgets.linked import LinkedView

    x = rng(29).integers(0, 2, size=(8, 10)).astype(np.float64)  # 0/1: ties in most windows
    rows, cols = ops.max_pool2d_argmax(x, 2)
    winners = np.zeros_like(x)
    winners[rows, cols] = 1.0
    windows = x.reshape(4, 2, 5, 2).transpose(0, 2, 1, 3).reshape(4, 5, 4)
    tied = (windows == windows.max(-1, keepdims=True)).sum(-1) > 1
    assert tied.sum() >= 10 and np.array_equal(x[rows, cols], ops.max_pool2d(x, 2))

    np.testing.assert_array_equal(bp.max_pool2d_backward(x, np.ones((4, 5))), winners)
    np.testing.assert_array_equal(surviving_positions(x), winners.astype(bool))
    for r, c in np.ndindex(4, 5):
        a = linked_math.pool_arithmetic(x, r, c, pool_size=2)
        assert a.argmax == (rows[r, c], cols[r, c])
    view = LinkedView(x, "maxpool", pool_size=2)
    np.testing.assert_array_equal(np.frombuffer(view.argmax, "<i4"), (rows * 10 + cols).ravel())
    layer = keras.layers.MaxPooling2D(2, dtype="float64")
    auto = bp.autodiff_gradient(lambda v: keras.ops.sum(layer(v[None, :, :, None])), x)
    np.testing.assert_array_equal(auto, winners)
    # the rule is not "every maximum": x == upsample(max_pool(x)) marks all tied pixels
    assert (x == ops.upsample2d(ops.max_pool2d(x))).sum() > winners.sum()


def test_relu_and_loss_match_keras_autodiff():
    x = np.array([[-1.0, 0.0], [0.5, 2.0]])  # includes the kink at 0
    g = np.array([[1.0, 2.0], [3.0, 4.0]])
    relu = keras.layers.ReLU(dtype="float64")
    auto = bp.autodiff_gradient(lambda v: keras.ops.sum(relu(v) * g), x)
    np.testing.assert_array_equal(bp.relu_backward(x, g), auto)

    z = rng(29).normal(size=(3, 4, 2))
    labels = rng(30).integers(0, 2, size=(3, 4))

    def loss(v):
        return keras.ops.mean(
            keras.losses.sparse_categorical_crossentropy(labels, v, from_logits=True)
        )

    auto = bp.autodiff_gradient(loss, z)
    assert bp.relative_error(bp.softmax_cross_entropy_backward(z, labels), auto) < 1e-12


def test_autodiff_gradient_of_a_constant_is_zero():
    assert bp.autodiff_gradient(lambda v: keras.ops.sum(v * 0.0) + 1.0, [1.0, 2.0]).tolist() == [
        0,
        0,
    ]
    assert bp.autodiff_gradient(lambda v: keras.ops.convert_to_tensor(3.0), [1.0]).tolist() == [0]


# ---- against JAX, in a fresh process (the backend cannot switch inside this one) -------------
_JAX_SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    import keras
    from course_utils import backprop as bp, ops
    assert keras.backend.backend() == "jax"
    r = np.random.default_rng(0)
    x, k = r.normal(size=(9, 8, 3)), r.normal(size=(3, 3, 3, 4))
    errs = {}
    for s, pad in [(1, "same"), (2, "same"), (2, "valid")]:
        g = r.normal(size=ops.conv2d(x, k, s, pad).shape)
        conv = keras.layers.Conv2D(4, 3, strides=s, padding=pad, use_bias=False, dtype="float64")
        conv.build((1, None, None, 3))
        conv.set_weights([k])
        gx, gk = bp.conv2d_backward(x, k, g, s, pad)
        errs[f"conv x s={s} {pad}"] = bp.relative_error(
            gx, bp.autodiff_gradient(lambda v: keras.ops.sum(conv(v[None])[0] * g), x))
        errs[f"conv k s={s} {pad}"] = bp.relative_error(gk, bp.autodiff_gradient(
            lambda kv: keras.ops.sum(keras.ops.conv(x[None], kv, s, pad)[0] * g), k))
    xt = r.integers(0, 3, size=(9, 9, 2)).astype(float)
    for p, s, pad in [(2, 2, "valid"), (3, 1, "same"), (3, 2, "valid")]:
        g = r.normal(size=ops.max_pool2d(xt, p, s, pad).shape)
        pool = keras.layers.MaxPooling2D(p, s, padding=pad, dtype="float64")
        errs[f"pool ties {p} {s} {pad}"] = float(np.abs(bp.max_pool2d_backward(xt, g, p, s, pad)
            - bp.autodiff_gradient(lambda v: keras.ops.sum(pool(v[None])[0] * g), xt)).max())
    xr = np.array([-1.0, 0.0, 2.0])
    errs["relu"] = float(np.abs(bp.relu_backward(xr, np.ones(3))
                                - bp.autodiff_gradient(lambda v: keras.ops.sum(keras.ops.relu(v)), xr)).max())
    z, lab = r.normal(size=(3, 4, 2)), r.integers(0, 2, size=(3, 4))
    # sum / N, not keras.ops.mean: on JAX the latter loses float64 precision (error ~1.5e-8)
    errs["softmax-ce"] = bp.relative_error(bp.softmax_cross_entropy_backward(z, lab), bp.autodiff_gradient(
        lambda v: keras.ops.sum(keras.losses.sparse_categorical_crossentropy(lab, v, from_logits=True)) / lab.size, z))
    print(json.dumps(errs))
""")


def _last_json_line_on_jax(script: str):
    """Run ``script`` in a fresh Python on the JAX backend (float64, CPU); its last line as JSON."""
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        JAX_ENABLE_X64="1",  # float64 on JAX (without it JAX computes in float32)
        JAX_PLATFORMS="cpu",
        PYTHONPATH=os.pathsep.join(
            [str(REPO), str(REPO / "tests"), os.environ.get("PYTHONPATH", "")]
        ),
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_backward_passes_match_jax_autodiff():
    pytest.importorskip("jax", reason="JAX not installed: the TensorFlow checks above still ran")
    errs = _last_json_line_on_jax(_JAX_SCRIPT)
    assert len(errs) == 11
    bad = {k: v for k, v in errs.items() if not v < 1e-10}
    assert bad == {}, bad


# ---- a training loop by hand = Keras' SGD (lesson 07, section 5) -----------------------------
def hand_and_keras_sgd(steps: int = 100, lr: float = 1.0) -> dict:
    """Lesson 07's tiny network (conv 3->8, ReLU, conv 8->2, cross-entropy from the logits) trained
    full-batch for ``steps`` SGD steps twice: by hand with ``backprop``, and by Keras'
    ``train_on_batch`` from the same weights (float64).  Returns both loss curves, the largest
    difference of the final weights, the smallest true-class probability the hand run met and
    the dtype Keras computed in.  Run by the tests below on TensorFlow and, in a fresh process,
    on JAX."""
    from course_utils import data

    images, masks = data.make_shapes(4, size=32, seed=0)
    xb = (images.astype(np.float64) - 0.5) * 2
    init = np.random.default_rng(0)
    w0 = {
        "k1": init.normal(0, np.sqrt(2 / 27), (3, 3, 3, 8)),
        "b1": np.zeros(8),
        "k2": init.normal(0, np.sqrt(2 / 72), (3, 3, 8, 2)),
        "b2": np.zeros(2),
    }
    w = {name: v.copy() for name, v in w0.items()}
    hand, p_min = [], 1.0
    for _ in range(steps):
        grads = {name: np.zeros_like(v) for name, v in w.items()}
        loss = 0.0
        for img, lab in zip(xb, masks, strict=True):
            z1 = ops.conv2d(img, w["k1"], padding="same") + w["b1"]
            a1 = ops.relu(z1)
            z2 = ops.conv2d(a1, w["k2"], padding="same") + w["b2"]
            log_p = z2 - z2.max(axis=-1, keepdims=True)
            log_p -= np.log(np.exp(log_p).sum(axis=-1, keepdims=True))
            true = np.take_along_axis(log_p, lab[..., None].astype(int), axis=-1)
            loss -= true.sum() / masks.size
            p_min = min(p_min, float(np.exp(true.min())))
            dz2 = bp.softmax_cross_entropy_backward(z2, lab) * lab.size / masks.size
            grads["b2"] += dz2.sum(axis=(0, 1))
            da1, dk2 = bp.conv2d_backward(a1, w["k2"], dz2, padding="same")
            grads["k2"] += dk2
            dz1 = bp.relu_backward(z1, da1)
            grads["b1"] += dz1.sum(axis=(0, 1))
            grads["k1"] += bp.conv2d_backward(img, w["k1"], dz1, padding="same")[1]
        hand.append(float(loss))
        for name in w:
            w[name] -= lr * grads[name]

    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        model = keras.Sequential(
            [
                keras.Input((32, 32, 3)),
                keras.layers.Conv2D(8, 3, padding="same", name="conv1"),
                keras.layers.ReLU(),
                keras.layers.Conv2D(2, 3, padding="same", name="conv2"),  # logits
            ]
        )
        model.get_layer("conv1").set_weights([w0["k1"], w0["b1"]])
        model.get_layer("conv2").set_weights([w0["k2"], w0["b2"]])
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=lr),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        fitted = [float(model.train_on_batch(xb, masks)) for _ in range(steps)]
    finally:  # both: reading the global dtype policy fixes it, set_floatx alone would not undo it
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)
    k2 = model.get_layer("conv2").get_weights()[0]
    return {
        "hand": hand,
        "keras": fitted,
        "weights_gap": float(np.abs(k2 - w["k2"]).max()),
        "p_min": p_min,
        "dtype": str(k2.dtype),
    }


def _assert_same_training(r: dict) -> None:
    assert r["dtype"] == "float64"
    assert r["hand"][-1] < 0.3 * r["hand"][0]  # it trained
    # the regime where a loss on clipped probabilities would part from the hand loop
    assert r["p_min"] < 1e-7
    np.testing.assert_allclose(r["keras"], r["hand"], rtol=0, atol=1e-9)
    assert r["weights_gap"] < 1e-9


def test_hand_training_loop_equals_keras_sgd():
    _assert_same_training(hand_and_keras_sgd())


def test_hand_training_loop_equals_keras_sgd_on_jax():
    pytest.importorskip("jax", reason="JAX not installed: the TensorFlow check above still ran")
    script = (
        "import json, keras, test_backprop\n"
        "assert keras.backend.backend() == 'jax'\n"
        "print(json.dumps(test_backprop.hand_and_keras_sgd()))\n"
    )
    _assert_same_training(_last_json_line_on_jax(script))


# ---- speed -----------------------------------------------------------------------------------
def test_conv2d_backward_is_vectorised():
    x, k = rng(31).normal(size=(64, 64, 8)), rng(32).normal(size=(3, 3, 8, 8))
    g = rng(33).normal(size=(64, 64, 8))
    bp.conv2d_backward(x, k, g, 1, "same")
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        bp.conv2d_backward(x, k, g, 1, "same")
        times.append(time.perf_counter() - t0)
    # A per-pixel loop takes seconds here; the tap loop takes about 2 ms (50 ms: noisy machine).
    assert sorted(times)[2] < 0.05, times


# ---- clear errors ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: bp.relu_backward(np.ones((2, 2)), np.ones((2, 3))),
            r"grad_out must have the shape of the forward output relu\(x\), \(2, 2\); got \(2, 3\)",
        ),
        (
            lambda: bp.max_pool2d_backward(np.ones((4, 4)), np.ones((4, 4))),
            r"shape of the forward output max_pool2d\(x\), \(2, 2\); got \(4, 4\)",
        ),
        (
            lambda: bp.max_pool2d_backward(np.ones((4, 4)), np.ones((2, 2)), padding=1),
            'padding must be "valid" or "same"',
        ),
        (
            lambda: bp.conv2d_backward(np.ones((5, 5)), np.ones((3, 3)), np.ones((5, 5))),
            r"conv2d\(x, kernel\), \(3, 3\); got \(5, 5\)",
        ),
        (
            lambda: bp.conv2d_backward(np.ones((5, 5, 2)), np.ones((3, 3)), np.ones((3, 3))),
            "a 2-D kernel",
        ),
        (
            lambda: bp.conv2d_backward(np.ones((5, 5)), np.ones((3, 3)), np.ones((3, 3)), stride=0),
            "stride must be an integer >= 1",
        ),
        (
            lambda: bp.conv2d_backward(np.ones((2, 2)), np.ones((3, 3)), np.ones((1, 1))),
            "larger than the padded input",
        ),
        (
            lambda: bp.conv2d_backward(
                np.ones((5, 5)), np.ones((3, 3)), np.ones((3, 3)), padding="full"
            ),
            'padding must be "valid", "same"',
        ),
        (
            lambda: bp.conv2d_backward(np.ones((5, 5)), np.ones((3, 3)), [[np.nan] * 3] * 3),
            "grad_out contains NaN",
        ),
        (lambda: bp.upsample2d_backward(np.ones((5, 4)), 2), "multiple of size=2"),
        (lambda: bp.concat_skip_backward(np.ones((2, 2, 4)), 4), "between 1 and 3"),
        (lambda: bp.concat_skip_backward(np.ones((2, 4)), 1), r"\(H, W, C\) or \(N, H, W, C\)"),
        (lambda: bp.softmax_cross_entropy_backward(np.ones((2, 3)), [0, 3]), r"lie in \[0, 2\]"),
        (
            lambda: bp.softmax_cross_entropy_backward(np.ones((2, 3)), [0, 1, 2]),
            r"class ids of shape \(2,\) or one-hot of shape \(2, 3\)",
        ),
        (lambda: bp.relative_error([1.0], [1.0, 2.0]), "same shape"),
        (lambda: bp.numeric_gradient(np.sum, [1.0], eps=0), "eps must be a positive number"),
        (lambda: bp.learn_kernel(np.ones((8, 8)), np.ones((3, 3)), lr=-1), "lr must be a positive"),
        (
            lambda: bp.learn_kernel(np.ones((8, 8, 3)), np.ones((3, 3)), lr=0.1),
            "convert to grayscale",
        ),
    ],
)
def test_errors_say_what_to_do(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- learning a kernel -----------------------------------------------------------------------
SOBEL = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def test_learn_kernel_first_step_is_one_gradient_step():
    img = rng(34).random((20, 20))
    run = bp.learn_kernel(img, SOBEL, lr=0.1, steps=3)
    target = ops.conv2d(img, SOBEL)
    loss = lambda k: np.mean((ops.conv2d(img, k) - target) ** 2)  # noqa: E731
    grad = bp.numeric_gradient(loss, np.zeros((3, 3)))
    np.testing.assert_allclose(run.kernels[1], -0.1 * grad, atol=1e-8)
    assert run.losses[0] == pytest.approx(loss(np.zeros((3, 3))))
    assert run.kernels.shape == (4, 3, 3) and run.losses.shape == (4,)


def test_learn_kernel_converges_and_diverges():
    img = rng(35).random((24, 24))
    good = bp.learn_kernel(img, SOBEL, lr=0.3, steps=300)
    assert not good.diverged
    np.testing.assert_allclose(good.kernels[-1], SOBEL, atol=1e-2)
    bad = bp.learn_kernel(img, SOBEL, lr=3.0, steps=300)
    assert bad.diverged and not np.isfinite(bad.losses[-1])
    assert np.all(np.isfinite(bad.kernels))  # states after the blow-up repeat the last finite one
