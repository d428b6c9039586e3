"""FeatureMapExplorer: one channel of a U-Net layer for a 256x256 image, trained vs untrained."""

from __future__ import annotations

from course_utils.data import sample_image
from course_utils.models import unet
from course_utils.widgets import FeatureMapExplorer

from . import Case, naive_figure_png


def cases() -> list[Case]:
    import keras

    keras.utils.set_random_seed(0)
    a, b = unet((256, 256, 3), base_filters=4), unet((256, 256, 3), base_filters=4)
    x = sample_image("cat", gray=False)[None]
    ex = FeatureMapExplorer(a, b, x, layers=["enc1_conv2", "dec5_conv2"])
    channels = iter(range(10**9))

    def fast():
        return ex.step(layer="enc1_conv2", channel=next(channels) % 4, image=0)

    def naive():
        # interact recomputes the feature maps of both nets and draws a matplotlib figure
        from course_utils.models import feature_maps

        c = next(channels) % 4
        fa = feature_maps(a, x, ["enc1_conv2"])["enc1_conv2"][0, :, :, c]
        fb = feature_maps(b, x, ["enc1_conv2"])["enc1_conv2"][0, :, :, c]
        return naive_figure_png(x[0].mean(-1), fb, fa)

    return [Case("FeatureMapExplorer (256x256, one channel)", fast, naive, target_ms=20.0)]
