# Hides NumPy as on a machine without the `fast` extra: the path finder does not see it (tests/test_without_numpy.py).
import sys
from importlib.machinery import PathFinder

HIDDEN = ("numpy",)


class _Hiding(PathFinder):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            return None
        return super().find_spec(name, path, target)


sys.meta_path[:] = [_Hiding if finder is PathFinder else finder for finder in sys.meta_path]
