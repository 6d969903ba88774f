"""Training demos that teach what the seed lecture notes teach.

Each demo is a module with ``main(argv) -> int``, run as ``python -m demos.<name>``
from a checkout or as ``scalargrad demo <name>`` anywhere (see
``scalargrad.demo_runner``). A wheel carries this folder as ``scalargrad._demos``,
so the demos import only ``scalargrad`` and each other by relative imports, which
work under either package name.

- ``moons``: micrograd's two-moons classifier, hinge loss and SGD, 100% training accuracy.
- ``regression``: seed 001's report task, fitting ``sin(x)`` plus noise with a tanh MLP.
- ``digits``: handwritten 8x8 digits with softmax and cross-entropy (needs scikit-learn).
- ``vanishing``: seed 001's vanishing gradients, sigmoid against ReLU in the same deep MLP.
- ``shopping``: seed 004's apple and orange shopping graph and every derivative.
"""
