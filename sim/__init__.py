"""citysim: a city in an emergency, resident by resident and engine by engine."""

from importlib import metadata

try:
    __version__ = metadata.version("citysim")
except metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["__version__"]
