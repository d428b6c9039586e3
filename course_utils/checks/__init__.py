"""Exercise checkers: each takes the student's answer and returns a :class:`Feedback`.

``Feedback`` shows as a green tick or an orange cross with a specific message, and is truthy
when the answer is right (``assert check_...(answer)`` works in tests).
"""

from . import backprop, conv, loss, pooling, real_data, relu, skip, start, training, transpose, unet
from ._base import Feedback
from .backprop import *  # noqa: F403
from .conv import *  # noqa: F403
from .loss import *  # noqa: F403
from .pooling import *  # noqa: F403
from .real_data import *  # noqa: F403
from .relu import *  # noqa: F403
from .skip import *  # noqa: F403
from .start import *  # noqa: F403
from .training import *  # noqa: F403
from .transpose import *  # noqa: F403
from .unet import *  # noqa: F403

__all__ = ["Feedback"] + [
    name
    for mod in (
        start,
        conv,
        relu,
        pooling,
        transpose,
        skip,
        loss,
        backprop,
        unet,
        training,
        real_data,
    )
    for name in mod.__all__
]
