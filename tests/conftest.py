"""Unit-test configuration: the course's environment, Agg figures, and the test options."""

import matplotlib

import course_utils  # noqa: F401  (the course's environment defaults, before anything imports TensorFlow)

# In this process only (not via MPLBACKEND: the notebook kernels that nbval starts from the same
# pytest run inherit the environment and must keep the inline backend, or figures vanish).
matplotlib.use("Agg")


def pytest_addoption(parser):
    parser.addoption(
        "--refresh-docs",
        action="store_true",
        default=False,
        help="browser tests: copy the explorer screenshots they take into docs/ (for README)",
    )
