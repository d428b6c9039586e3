"""UNetWalkExplorer: one channel of one layer of a U-Net on a 256x256 photo, with the U picture."""

from __future__ import annotations

from course_utils.data import photo
from course_utils.models import unet
from course_utils.widgets import UNetWalkExplorer

from . import Case, naive_figure_png


def cases() -> list[Case]:
    import keras

    keras.utils.set_random_seed(0)
    model = unet((256, 256, 3), base_filters=4)
    ex = UNetWalkExplorer(model, image="cat")
    moves = iter(range(10**9))

    def fast():
        k = next(moves)
        return ex.step(image="cat", layer=k % len(ex.layers), channel=k % 4)

    def naive():
        # interact recomputes the layer's output and draws a matplotlib figure
        from course_utils.models import feature_maps

        k = next(moves)
        name = ex.layers[k % len(ex.layers)].name
        img = photo("cat", gray=False, size=256)
        fmap = feature_maps(model, img, [name])[name][0, :, :, k % 4]
        return naive_figure_png(img.mean(-1), fmap)

    return [Case("UNetWalkExplorer (256x256, any layer)", fast, naive, target_ms=20.0)]
