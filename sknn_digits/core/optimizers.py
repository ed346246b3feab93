"""Update rules of the stochastic solvers: momentum SGD and Adam, on a flat parameter vector.

Each rule turns the gradient of one minibatch's cost into the step added to
the parameters; it keeps its own state (velocities, moments, the learning
rate) between minibatches, epochs and ``partial_fit`` calls.  The rules are
``MLPClassifier``'s:

SGD with momentum :math:`\\mu` and learning rate :math:`\\eta`:

.. math::

    v \\leftarrow \\mu v - \\eta g, \\qquad
    \\Delta = v \\ \\text{(classical)} \\quad\\text{or}\\quad
    \\Delta = \\mu v - \\eta g \\ \\text{(Nesterov)}

with :math:`\\eta` constant, ``"invscaling"``
(:math:`\\eta = \\eta_0 / (t + 1)^{p}` after each epoch, :math:`t` the samples
seen) or ``"adaptive"`` (divided by 5 when the stopping rule would stop).

Adam (Kingma and Ba, 2014), at step :math:`k`:

.. math::

    m \\leftarrow \\beta_1 m + (1 - \\beta_1) g, \\quad
    s \\leftarrow \\beta_2 s + (1 - \\beta_2) g^2, \\quad
    \\Delta = -\\eta \\frac{\\sqrt{1 - \\beta_2^k}}{1 - \\beta_1^k}
    \\frac{m}{\\sqrt{s} + \\epsilon}

All state is float64 numpy, as the parameters the solver holds; each rule
updates the parameters in place (:meth:`SGD.update`, :meth:`Adam.update`)
through buffers it keeps, and BLAS's ``axpy`` and ``scal`` where a sum with a
scaled vector would take numpy two passes over it: the update runs once per
minibatch over every parameter.
"""

import numpy as np
from scipy.linalg.blas import daxpy, dscal

__all__ = ["SGD", "Adam"]

#: An adaptive learning rate stops the fit once it would fall below this.
SMALLEST_LEARNING_RATE = 1e-6


class _UpdateRule:
    """What both rules offer beside :meth:`update`."""

    def step(self, grad):
        """The step for the gradient ``grad`` of one minibatch, as a new array (what
        :meth:`update` adds to the parameters)."""
        step = np.zeros(grad.shape)
        self.update(step, grad)
        return step


class SGD(_UpdateRule):
    """Momentum SGD.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.core.optimizers import SGD
    >>> rule = SGD(2, learning_rate_init=0.1, momentum=0.0)
    >>> rule.step(np.array([1.0, -2.0])).tolist()
    [-0.1, 0.2]
    """

    def __init__(self, n_params, learning_rate_init=0.1, schedule="constant", momentum=0.9,
                 nesterov=True, power_t=0.5):
        self.learning_rate_init = self.learning_rate = float(learning_rate_init)
        self.schedule, self.momentum, self.nesterov = schedule, float(momentum), nesterov
        self.power_t = float(power_t)
        self.velocity = np.zeros(n_params)

    def update(self, params, grad):
        """Add the step for the gradient ``grad`` of one minibatch to ``params``, in place."""
        velocity, rate = self.velocity, self.learning_rate
        dscal(self.momentum, velocity)
        daxpy(grad, velocity, a=-rate)  # v = mu v - eta g
        if self.nesterov:  # mu v - eta g
            daxpy(grad, params, a=-rate)
            daxpy(velocity, params, a=self.momentum)
        else:
            daxpy(velocity, params)

    def epoch_ended(self, samples_seen):
        """An epoch is over, ``samples_seen`` samples in all: ``"invscaling"`` lowers the rate."""
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (samples_seen + 1) ** self.power_t

    def lower_rate(self):
        """``"adaptive"``: divide the rate by 5 and go on (True), unless it is spent (False)."""
        if self.schedule != "adaptive" or self.learning_rate <= SMALLEST_LEARNING_RATE:
            return False
        self.learning_rate /= 5.0
        return True


class Adam(_UpdateRule):
    """Adam.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.core.optimizers import Adam
    >>> rule = Adam(2, learning_rate_init=0.001)
    >>> rule.step(np.array([3.0, -0.5])).round(6).tolist()   # the first step: -eta sign(g)
    [-0.001, 0.001]
    """

    def __init__(self, n_params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8):
        self.learning_rate_init = self.learning_rate = float(learning_rate_init)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.n_steps = 0
        self.first_moment = np.zeros(n_params)
        self.second_moment = np.zeros(n_params)
        self._buffer = np.empty(n_params)

    def update(self, params, grad):
        """Add the step for the gradient ``grad`` of one minibatch to ``params``, in place."""
        self.n_steps += 1
        m, s, buffer = self.first_moment, self.second_moment, self._buffer
        dscal(self.beta_1, m)
        daxpy(grad, m, a=1 - self.beta_1)
        dscal(self.beta_2, s)
        daxpy(np.multiply(grad, grad, out=buffer), s, a=1 - self.beta_2)
        rate = (self.learning_rate * np.sqrt(1 - self.beta_2**self.n_steps)
                / (1 - self.beta_1**self.n_steps))
        np.sqrt(s, out=buffer)
        buffer += self.epsilon
        daxpy(np.divide(m, buffer, out=buffer), params, a=-rate)

    def epoch_ended(self, samples_seen):
        """Adam's rate does not follow a schedule."""

    def lower_rate(self):
        """Adam's rate is not adapted: the stopping rule stops the fit."""
        return False
