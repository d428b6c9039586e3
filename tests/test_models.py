"""Tests of course_utils.models (the seed's U-Net), its checkers and the U diagram."""

import course_utils  # noqa: F401  (first: its environment defaults, before Keras loads TensorFlow)

# isort: split
import keras
import matplotlib
import numpy as np
import pytest
from keras.layers import Conv2D, Input, MaxPooling2D, UpSampling2D, concatenate
from keras.models import Model

from course_utils import models, viz
from course_utils.checks import check_conv_params, check_unet_params, check_unet_predictions
from course_utils.checks.unet import _unet_levels

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def seed_unet_model(input_size=(128, 128, 3), num_classes=2):
    """The seed note's code, verbatim except `tensorflow.keras` -> `keras` imports."""
    inputs = Input(input_size)
    # 编码器部分
    conv1 = Conv2D(64, (3, 3), activation="relu", padding="same")(inputs)
    conv1 = Conv2D(64, (3, 3), activation="relu", padding="same")(conv1)
    pool1 = MaxPooling2D(pool_size=(2, 2))(conv1)
    conv2 = Conv2D(128, (3, 3), activation="relu", padding="same")(pool1)
    conv2 = Conv2D(128, (3, 3), activation="relu", padding="same")(conv2)
    pool2 = MaxPooling2D(pool_size=(2, 2))(conv2)
    # 底部
    conv3 = Conv2D(256, (3, 3), activation="relu", padding="same")(pool2)
    conv3 = Conv2D(256, (3, 3), activation="relu", padding="same")(conv3)
    # 解码器部分
    up4 = UpSampling2D(size=(2, 2))(conv3)
    merge4 = concatenate([conv2, up4], axis=3)
    conv4 = Conv2D(128, (3, 3), activation="relu", padding="same")(merge4)
    conv4 = Conv2D(128, (3, 3), activation="relu", padding="same")(conv4)
    up5 = UpSampling2D(size=(2, 2))(conv4)
    merge5 = concatenate([conv1, up5], axis=3)
    conv5 = Conv2D(64, (3, 3), activation="relu", padding="same")(merge5)
    conv5 = Conv2D(64, (3, 3), activation="relu", padding="same")(conv5)
    outputs = Conv2D(num_classes, (1, 1), activation="softmax")(conv5)
    model = Model(inputs=[inputs], outputs=[outputs])
    return model


def _signature(model):
    return [(type(layer).__name__, tuple(layer.output.shape)) for layer in model.layers]


# ----------------------------------------------------------------------------- unet()
def test_default_unet_is_the_seed_network():
    seed, ours = seed_unet_model(), models.unet()
    assert _signature(ours) == _signature(seed)
    for a, b in zip(seed.layers, ours.layers, strict=True):
        assert a.count_params() == b.count_params()
        if isinstance(a, Conv2D):
            assert (a.kernel_size, a.padding, a.activation.__name__) == (
                b.kernel_size,
                b.padding,
                b.activation.__name__,
            )
    assert ours.count_params() == seed.count_params() == 1_883_202
    names = [layer.name for layer in ours.layers]
    assert names[:4] == ["image", "enc1_conv1", "enc1_conv2", "pool1"]
    assert {"bottleneck_conv2", "up4", "skip4", "dec4_conv1", "up5", "skip5", "dec5_conv2"} <= set(
        names
    )
    assert names[-1] == "classifier"


def test_skip_order_matches_seed():  # concatenate([encoder, upsampled]): encoder first
    m = models.unet((8, 8, 1), base_filters=1)
    assert [t.name for t in m.get_layer("skip4").input] == [
        m.get_layer("enc2_conv2").output.name,
        m.get_layer("up4").output.name,
    ]


def test_transpose_variant():
    ref, tconv = models.unet(), models.unet(upsampling="transpose")
    assert tconv.count_params() == 2_211_266
    assert tconv.count_params() - ref.count_params() == (2 * 2 * 256 * 256 + 256) + (
        2 * 2 * 128 * 128 + 128
    )
    assert [tuple(a.output.shape) for a in tconv.layers] == [
        tuple(a.output.shape) for a in ref.layers
    ]
    assert type(tconv.get_layer("up4")).__name__ == "Conv2DTranspose"


def test_bilinear_works_and_differs_from_nearest():
    keras.utils.set_random_seed(1)
    x = np.random.default_rng(0).random((1, 16, 16, 3)).astype("float32")
    near = models.unet((16, 16, 3), base_filters=2)
    bil = models.unet((16, 16, 3), base_filters=2, upsampling="bilinear")
    bil.set_weights(near.get_weights())
    assert bil.get_layer("up4").interpolation == "bilinear"
    assert bil.count_params() == near.count_params()
    pb, pn = bil.predict(x, verbose=0), near.predict(x, verbose=0)
    assert pb.shape == (1, 16, 16, 2)
    np.testing.assert_allclose(pb.sum(-1), 1, atol=1e-5)
    assert not np.allclose(pb, pn)


@pytest.mark.parametrize(("f", "cin", "classes"), [(1, 1, 1), (4, 3, 2), (8, 5, 7)])
def test_param_count_scales_like_the_formula(f, cin, classes):
    m = models.unet((8, 12, cin), num_classes=classes, base_filters=f)
    assert m.count_params() == sum(_unet_levels(f, cin, classes).values())
    assert tuple(m.output.shape) == (None, 8, 12, classes)
    assert tuple(m.get_layer("bottleneck_conv2").output.shape) == (None, 2, 3, 4 * f)
    assert tuple(m.get_layer("skip4").output.shape) == (None, 4, 6, 6 * f)
    assert tuple(m.get_layer("skip5").output.shape) == (None, 8, 12, 3 * f)


def test_param_count_independent_of_image_size():
    assert (
        models.unet((8, 8, 3), base_filters=2).count_params()
        == models.unet((32, 64, 3), base_filters=2).count_params()
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_shape": (30, 32, 3)}, "divisible by 4"),
        ({"input_shape": (32, 6, 3)}, "divisible by 4"),
        ({"input_shape": (32, 32)}, r"\(H, W, C\)"),
        ({"input_shape": (32, 32, 0)}, "positive"),
        ({"input_shape": (32.0, 32, 3)}, "3 integers"),
        ({"input_shape": None}, "3 integers"),
        ({"num_classes": 0}, "num_classes"),
        ({"num_classes": 2.5}, "num_classes"),
        ({"upsampling": "cubic"}, "upsampling"),
        ({"base_filters": 0}, "base_filters"),
        ({"base_filters": 8.0}, "base_filters"),
        ({"base_filters": True}, "base_filters"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.unet(**kwargs)


# ----------------------------------------------------------------------------- feature_maps
def test_feature_maps_functional():
    m = models.unet((16, 16, 3), base_filters=2)
    x = np.random.default_rng(0).random((16, 16, 3)).astype("float32")
    fm = models.feature_maps(m, x, ["pool1", "skip5", "classifier"])
    assert list(fm) == ["pool1", "skip5", "classifier"]
    assert fm["pool1"].shape == (1, 8, 8, 2) and fm["skip5"].shape == (1, 16, 16, 6)
    np.testing.assert_allclose(fm["classifier"], m.predict(x[None], verbose=0), atol=1e-6)
    every = models.feature_maps(m, np.stack([x, x]))
    assert len(every) == len(m.layers) - 1 and every["enc1_conv1"].shape[0] == 2


@pytest.mark.parametrize("with_input", [True, False])
def test_feature_maps_sequential(with_input):
    first = [keras.Input((8, 8, 1))] if with_input else []
    m = keras.Sequential(
        first + [keras.layers.Conv2D(3, 3, name="c"), keras.layers.MaxPooling2D(2, name="p")]
    )
    assert m.built == with_input
    x = np.ones((8, 8, 1), "float32")
    fm = models.feature_maps(m, x, ["c", "p"])
    assert fm["c"].shape == (1, 6, 6, 3) and fm["p"].shape == (1, 3, 3, 3)
    np.testing.assert_allclose(fm["p"], m.predict(x[None], verbose=0), atol=1e-6)


def test_feature_maps_errors():
    m = models.unet((8, 8, 3), base_filters=1)
    with pytest.raises(ValueError, match="unknown layer name"):
        models.feature_maps(m, np.zeros((8, 8, 3)), ["enc1", "pool1"])
    assert list(models.feature_maps(m, np.zeros((8, 8, 3)), "pool2")) == ["pool2"]
    with pytest.raises(ValueError, match="empty"):
        models.feature_maps(m, np.zeros((8, 8, 3)), [])
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        models.feature_maps(m, np.zeros((8, 8)))
    with pytest.raises(ValueError, match="keras.Model"):
        models.feature_maps("not a model", np.zeros((8, 8, 3)))


# ----------------------------------------------------------------------------- checkers
def test_check_conv_params_right_answers_pass():
    assert check_conv_params(lambda k, cin, cout: k * k * cin * cout + cout)
    assert check_conv_params(lambda k, cin, cout: (k * k * cin + 1) * cout)
    assert check_conv_params(lambda k, cin, cout: float(k * k * cin * cout + cout))


@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (lambda k, cin, cout: k * k * cin * cout, "forgot the biases"),
        (lambda k, cin, cout: k * k * cin * cout + 1, "not one per layer"),
        (lambda k, cin, cout: k * k * cin * cout + cin, "not `cin`"),
        (lambda k, cin, cout: k * cin * cout + cout, "k*k weights"),
        (lambda k, cin, cout: k * k * cout + cout, "multiply by `cin`"),
        (lambda k, cin, cout: 7, "plus one bias per output channel"),
        (lambda k, cin, cout: None, "forget `return`"),
        (lambda k, cin, cout: (k * k * cin * cout + cout) / 3, "not a whole number"),
        (lambda k, cin, cout: "1792", "should return a number"),
        (lambda k, cin, cout: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_check_conv_params_wrong_answers_get_the_hint(fn, hint):
    fb = check_conv_params(fn)
    assert not fb.passed
    assert hint in fb.message


def test_check_conv_params_not_implemented():
    def conv_params(k, cin, cout):
        raise NotImplementedError

    fb = check_conv_params(conv_params)
    assert not fb and "NotImplementedError" in fb.message


def _student_unet(skips=True, bias=True, classifier=True, classifier_k=1, first_cin=None):
    def unet_params(f, in_channels=3, num_classes=2):
        levels = _unet_levels(
            f,
            in_channels if first_cin is None else f,
            num_classes,
            skips=skips,
            bias=bias,
            classifier_k=classifier_k,
        )
        return sum(v for k, v in levels.items() if classifier or k != "classifier")

    return unet_params


def test_check_unet_params_right_answer_passes():
    fb = check_unet_params(_student_unet())
    assert fb.passed and "1,883,202" in fb.message


@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (_student_unet(skips=False), "concatenated"),
        (_student_unet(classifier=False), "left out the 1x1 classifier"),
        (_student_unet(classifier_k=3), "1x1 convolution, not 3x3"),
        (_student_unet(bias=False), "forgot the biases"),
        (_student_unet(first_cin="f"), "`in_channels`, not f"),
        (lambda f, c, k: 1_883_202, "Add the 11 convolutions"),
        (lambda f, c, k: 1_883_202.5, "not a whole number"),
    ],
)
def test_check_unet_params_wrong_answers_get_the_hint(fn, hint):
    fb = check_unet_params(fn)
    assert not fb.passed
    assert hint in fb.message


def test_unet_reference_matches_keras_for_checker_cases():
    from course_utils.checks.unet import _UNET_CASES

    for f, cin, classes in _UNET_CASES:
        want = models.unet((8, 8, cin), num_classes=classes, base_filters=f).count_params()
        assert sum(_unet_levels(f, cin, classes).values()) == want


# ----------------------------------------------------------------------------- unet_diagram
def test_unet_diagram_from_model_and_rows():
    fig = viz.unet_diagram(models.unet((16, 16, 3), base_filters=2), title="t")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"enc1", "enc2", "bottleneck", "dec4", "dec5", "classifier"} <= set(texts)
    assert "16×16×2" in texts and "4×4×8" in texts  # classifier and bottleneck shapes
    assert "skip4: concat 4 + 8 = 12 channels" in texts  # enc2 (4) + up4 (8)
    assert "skip5: concat 2 + 4 = 6 channels" in texts
    assert texts.count("max pool 2×2") == 2 and texts.count("upsample 2×") == 2
    # pooling, upsampling and concatenation are arrows and lines, not boxes: 7 boxes
    assert len(fig.axes[0].patches) == 7
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 10  # body size on screen
    width_px = fig.get_size_inches()[0] * 100  # notebooks show figures at 100 dpi
    assert width_px < 1000  # shown at (almost) natural size, not shrunk by the notebook
    plt.close(fig)
    # a description given by hand: a final concat stays a box, its skip line from its input
    rows = [
        models.LayerInfo("image", "InputLayer", "input", (8, 8, 3), 0, (), (), 0, "input"),
        models.LayerInfo(
            "pool1", "MaxPooling2D", "pool", (4, 4, 3), 0, ("image",), (2, 2), 1, "encoder"
        ),
        models.LayerInfo(
            "up1", "UpSampling2D", "up", (8, 8, 3), 0, ("pool1",), (2, 2), 0, "decoder"
        ),
        models.LayerInfo(
            "skip1", "Concatenate", "concat", (8, 8, 6), 0, ("image", "up1"), (), 0, "decoder"
        ),
    ]
    fig = viz.unet_diagram(rows)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "skip1: concat 3 + 3 = 6 channels" in texts
    assert {"image", "skip1", "max pool 2×2, upsample 2×"} <= set(texts)
    plt.close(fig)


def test_unet_diagram_reads_levels_and_parts_from_describe():
    """The boxes sit at describe's levels and take its parts' colours; nothing is guessed."""
    from course_utils.viz.unet import _PART_COLORS, _blocks

    layers = models.describe(models.unet((None, None, 3), base_filters=2))  # no sizes to read
    blocks = {b["prefix"]: b for b in _blocks(layers) if b["box"]}
    assert {k: (b["level"], b["part"]) for k, b in blocks.items()} == {
        "image": (0, "input"),
        "enc1": (0, "encoder"),
        "enc2": (1, "encoder"),
        "bottleneck": (2, "bottleneck"),
        "dec4": (1, "decoder"),
        "dec5": (0, "decoder"),
        "classifier": (0, "classifier"),
    }
    assert blocks["dec4"]["skip"] is blocks["enc2"] and blocks["dec5"]["skip"] is blocks["enc1"]
    fig = viz.unet_diagram(layers)
    colours = {tuple(p.get_facecolor()) for p in fig.axes[0].patches}
    assert len(colours) == len(_PART_COLORS)
    assert "?×?×4" in [t.get_text() for t in fig.axes[0].texts]  # enc2: any size, 4 channels
    plt.close(fig)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([], "at least one"),
        ([("a", "conv", (4, 4, 1))], "not a layer description"),
        (
            [models.LayerInfo("a", "Dense", "dense", (4, 4, 1), 0, (), (), 0, "encoder")],
            "role must be one of",
        ),
        (
            [models.LayerInfo("a", "Conv2D", "conv", (4, 4), 0, (), (3, 3), 0, "encoder")],
            "shape",
        ),
        (5, "keras.Model or the layers"),
    ],
)
def test_unet_diagram_bad_input(rows, match):
    with pytest.raises(ValueError, match=match):
        viz.unet_diagram(rows)


# ----------------------------------------------------------------------------- lesson 08, exercise 1
def test_unet_predictions_match_keras():
    from course_utils.checks.unet import _predictions

    want = _predictions()
    keras.utils.set_random_seed(0)
    x = keras.Input((64, 64, 1))
    c1 = keras.layers.Conv2D(64, 3)
    c2 = keras.layers.Conv2D(64, 3)
    c2(c1(x))
    assert c1.count_params() + c2.count_params() == want["first_block_2015"]
    up = keras.layers.Conv2DTranspose(512, 2, strides=2)
    up(keras.Input((4, 4, 1024)))
    assert up.count_params() == want["up_conv_2015"]
    ratio = models.unet().count_params() / models.unet(base_filters=32).count_params()
    assert round(ratio) == want["halving_factor"] == 4


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        ({"first_block_2015": 38720}, "grey"),
        ({"first_block_2015": 640}, "block has two"),
        ({"first_block_2015": 37440}, "biases"),
        ({"first_block_2015": 1280}, "64 channels"),
        ({"up_conv_2015": 4195328}, "halves"),
        ({"up_conv_2015": 4719104}, "2x2"),
        ({"up_conv_2015": 2097152}, "biases"),
        ({"up_conv_2015": 1049088}, "cin = 1024"),
        ({"halving_factor": 2}, "2 x 2 times"),
        ({"halving_factor": 8}, "not the 3x3"),
        ({"halving_factor": 3}, "replace cin, cout by half"),
        ({"up_conv_2015": ...}, "not answered yet"),
        ({"halving_factor": "4"}, "must be a number"),
    ],
)
def test_unet_predictions_hints(change, hint):
    right = {"first_block_2015": 37568, "up_conv_2015": 2097664, "halving_factor": 4}
    assert check_unet_predictions(right)
    assert check_unet_predictions({**right, "halving_factor": 4.0})
    fb = check_unet_predictions({**right, **change})
    assert not fb and hint in fb.message, fb.message
    assert "misses" in check_unet_predictions({"first_block_2015": 1}).message
    assert "dict" in check_unet_predictions([1, 2, 3]).message
