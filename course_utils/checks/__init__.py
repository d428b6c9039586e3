"""Exercise checkers: each takes the student's answer and returns a :class:`Feedback`.

``Feedback`` shows as a green tick or an orange cross with a specific message, and is truthy
when the answer is right (``assert check_...(answer)`` works in tests).
"""

from ._base import Feedback
from .conv import check_conv_output_size, check_receptive_field, check_vertical_edge_kernel

__all__ = [
    "Feedback",
    "check_conv_output_size",
    "check_receptive_field",
    "check_vertical_edge_kernel",
]
