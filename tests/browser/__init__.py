"""Real-browser tests: JupyterLab driven by headless Chromium (pytest marker ``browser``)."""
