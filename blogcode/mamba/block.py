"""A pure-PyTorch Mamba block with the structure of ``mamba_ssm/modules/mamba_simple.py``.

Glossary (each name means one thing; the paper's symbol in brackets):

* ``batch`` -- batch size (never written ``B``);
* ``L`` -- sequence length; ``d_model`` -- width of the residual stream;
* ``d_inner`` -- channels inside the block, ``expand * d_model`` (the paper's :math:`D`
  in :math:`(B, L, D)`; here ``D`` is *only* the skip parameter);
* ``N`` -- state size per channel, ``d_state`` (:math:`N`);
* ``R`` -- rank of the step-size projection, ``dt_rank = ceil(d_model / 16)``;
* ``d_conv`` -- width of the depthwise causal convolution;
* ``delta`` -- step size :math:`\\Delta`; ``A`` -- diagonal state matrix, ``-exp(A_log)``
  [d_inner, N]; ``B``, ``C`` -- input-dependent SSM vectors [batch, N, L]; ``D`` -- skip [d_inner];
  ``z`` -- the gate branch.

Data flow of :meth:`MambaBlock.forward` (the "slow path" of the original, which the fused CUDA
path computes in fewer kernels)::

    x [batch, L, d_model] --in_proj--> (u, z)          each [batch, d_inner, L]
    u --causal depthwise conv1d, SiLU--> u             [batch, d_inner, L]
    u --x_proj--> (dt [R], B [N], C [N]) per token
    dt --dt_proj (weight only)--> delta                [batch, d_inner, L]
    y = selective_scan(u, delta, A, B, C, D, z, delta_bias=dt_proj.bias, delta_softplus=True)
    y --out_proj--> out                                [batch, L, d_model]

:meth:`MambaBlock.step` does the same for one token with a rolling convolution window
``conv_state`` [batch, d_inner, d_conv] and the SSM state ``ssm_state`` [batch, d_inner, N].
"""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import nn

from blogcode.ssm.selective_scan import BACKENDS, selective_scan

__all__ = ["MambaConfig", "MambaBlock", "param_count", "param_breakdown"]


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclasses.dataclass(frozen=True)
class MambaConfig:
    """The hyper-parameters of one Mamba block, in the order of ``Mamba.__init__`` in
    ``mamba_simple.py`` and with its defaults (as nanoGPT's ``GPTConfig`` holds a GPT's).

    Only ``d_model`` has no default.  The derived sizes are properties: :attr:`d_inner` and
    :attr:`rank` (``dt_rank`` with ``"auto"`` resolved).  Invalid values raise ``ValueError``
    naming the field.  ``dataclasses.replace(config, d_model=64)`` re-derives both sizes.

    Example::

        >>> cfg = MambaConfig(d_model=16)
        >>> cfg.d_inner, cfg.dt_rank, cfg.rank
        (32, 'auto', 1)
    """

    # The defaults are those of ``Mamba.__init__`` in mamba_simple.py, which the README's example
    # ``Mamba(d_model=16, d_state=16, d_conv=4, expand=2)`` spells out.
    d_model: int  # width of the residual stream, the block's input and output (no default)
    d_state: int = 16  # N, the SSM state size per channel
    d_conv: int = 4  # K, width of the causal depthwise convolution
    expand: float = 2  # d_inner = expand * d_model channels inside the block
    # R, rank of the step-size projection dt_proj; "auto" means ceil(d_model / 16) (see `rank`)
    dt_rank: int | str = "auto"
    # Initial step sizes softplus(dt_proj.bias) are drawn log-uniform in [dt_min, dt_max] ...
    dt_min: float = 1e-3
    dt_max: float = 1e-1
    # ... dt_proj.weight uniform in +-dt_scale / sqrt(R) (1.0 keeps the variance of dt at
    # initialisation; this is the original's dt_init="random", the only dt_init we implement) ...
    dt_scale: float = 1.0
    # ... and the drawn step sizes clamped from below at dt_init_floor before the inverse softplus.
    dt_init_floor: float = 1e-4
    conv_bias: bool = True  # bias of the depthwise conv1d
    bias: bool = False  # biases of in_proj and out_proj

    def __post_init__(self) -> None:
        for name in ("d_model", "d_state", "d_conv"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if not _is_number(self.expand) or self.expand <= 0:
            raise ValueError(f"expand must be a positive number, got {self.expand!r}")
        d_inner = self.expand * self.d_model
        if d_inner != int(d_inner):
            raise ValueError(f"expand * d_model must be an integer, got "
                             f"{self.expand} * {self.d_model}")
        r = self.dt_rank
        if r != "auto" and (isinstance(r, bool) or not isinstance(r, int) or r < 1):
            raise ValueError(f"dt_rank must be 'auto' or a positive int, got {r!r}")
        if not (_is_number(self.dt_min) and _is_number(self.dt_max)
                and 0 < self.dt_min <= self.dt_max):
            raise ValueError(f"dt_min, dt_max: need 0 < dt_min <= dt_max, got "
                             f"{self.dt_min!r}, {self.dt_max!r}")
        for name in ("dt_scale", "dt_init_floor"):
            v = getattr(self, name)
            if not _is_number(v) or v < 0:
                raise ValueError(f"{name} must be a non-negative number, got {v!r}")
        for name in ("conv_bias", "bias"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a bool, got {getattr(self, name)!r}")

    @property
    def d_inner(self) -> int:
        """Channels inside the block, ``expand * d_model``."""
        return int(self.expand * self.d_model)

    @property
    def rank(self) -> int:
        """``R``: ``dt_rank``, with ``"auto"`` resolved to ``ceil(d_model / 16)``."""
        return math.ceil(self.d_model / 16) if self.dt_rank == "auto" else self.dt_rank


def _check_config(config) -> MambaConfig:
    if not isinstance(config, MambaConfig):
        raise TypeError(f"expected a MambaConfig, e.g. MambaConfig(d_model=16), "
                        f"got {type(config).__name__}")
    return config


def param_breakdown(config: MambaConfig) -> dict[str, int]:
    """Parameters of each sub-module of the block, in closed form.

    ``in_proj`` 2 d_inner d_model, ``conv1d`` d_inner (d_conv + 1), ``x_proj`` d_inner (R + 2N),
    ``dt_proj`` d_inner (R + 1), ``A_log`` d_inner N, ``D`` d_inner, ``out_proj`` d_inner d_model
    (plus the biases of the two projections when ``bias``; without the conv's when not
    ``conv_bias``).

    Example::

        >>> param_breakdown(MambaConfig(16))["x_proj"]   # d_inner * (dt_rank + 2 * d_state)
        1056
    """
    c = _check_config(config)
    di, r, n = c.d_inner, c.rank, c.d_state
    return {
        "in_proj": 2 * di * c.d_model + (2 * di if c.bias else 0),
        "conv1d": di * c.d_conv + (di if c.conv_bias else 0),
        "x_proj": di * (r + 2 * n),
        "dt_proj": di * r + di,
        "A_log": di * n,
        "D": di,
        "out_proj": di * c.d_model + (c.d_model if c.bias else 0),
    }


def param_count(config: MambaConfig) -> int:
    """Exact number of parameters of :class:`MambaBlock` (and of the original ``Mamba``).

    With the default biases this is ``3 expand d_model^2 + d_inner (d_conv + 2 R + 3 N + 3)``:
    the README's "roughly 3 * expand * d_model^2" is the first term.

    Example::

        >>> param_count(MambaConfig(16)), 3 * 2 * 16 ** 2
        (3360, 1536)
    """
    return sum(param_breakdown(config).values())


def _check_x(x, d_model: int, what: str, dims: tuple[int, ...]) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{what} must be a floating tensor, got {x.dtype}")
    if x.dim() not in dims:
        shapes = {3: "[batch, L, d_model]", 2: "[batch, d_model]"}
        want = " or ".join(shapes.get(d, "[batch, 1, d_model]") for d in dims)
        raise ValueError(f"{what} must have shape {want}, got {tuple(x.shape)}")
    if x.shape[-1] != d_model:
        raise ValueError(f"{what} has last dimension {x.shape[-1]}, expected d_model={d_model}")


class MambaBlock(nn.Module):
    """The Mamba mixer (``Mamba`` in ``mamba_simple.py``), readable PyTorch, CPU friendly.

    Args:
        config: the hyper-parameters, a :class:`MambaConfig` (``d_model``, ``d_state``,
            ``d_conv``, ``expand``, ``dt_rank``, the step-size initialisation, the biases).
        seed: seed of the ``torch.Generator`` that draws every initial weight (the global RNG
            is left untouched).
        backend: default selective-scan backend (``"auto"``, ``"naive"``, ``"chunked"``,
            ``"triton"``); ``forward`` can override it.
        dtype: parameter dtype (float32; use float64 for exactness checks).

    ``seed``, ``backend`` and ``dtype`` choose how this block is initialised and run, not what
    it is, so they are arguments of the block rather than fields of the config (as ``device``
    and ``dtype`` are factory arguments of the original).  ``block.config`` is the config; the
    sizes are also attributes of the block, as in the original: ``d_model``, ``d_state``,
    ``d_conv``, ``expand``, ``d_inner`` and ``dt_rank`` (the resolved int, ``config.rank``).

    Shapes: ``forward`` maps [batch, L, d_model] to [batch, L, d_model]; ``step`` maps one token
    [batch, d_model] (or [batch, 1, d_model]) to the same shape.

    Example::

        >>> import torch
        >>> cfg = MambaConfig(d_model=16, d_state=16, d_conv=4, expand=2)
        >>> block = MambaBlock(cfg, seed=0)
        >>> x = torch.randn(2, 64, 16, generator=torch.Generator().manual_seed(0))
        >>> block(x).shape
        torch.Size([2, 64, 16])
        >>> sum(p.numel() for p in block.parameters()) == param_count(cfg)
        True
    """

    def __init__(self, config: MambaConfig, *, seed: int = 0, backend: str = "auto",
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        config = _check_config(config)
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.config = config
        self.backend = backend
        d_model, d_conv, n = config.d_model, config.d_conv, config.d_state
        di, r = config.d_inner, config.rank
        kw = dict(dtype=dtype)
        # skip_init: build the layers without drawing from the global RNG; we fill them below.
        self.in_proj = nn.utils.skip_init(nn.Linear, d_model, 2 * di, bias=config.bias, **kw)
        self.conv1d = nn.utils.skip_init(nn.Conv1d, di, di, kernel_size=d_conv, groups=di,
                                         padding=d_conv - 1, bias=config.conv_bias, **kw)
        self.x_proj = nn.utils.skip_init(nn.Linear, di, r + 2 * n, bias=False, **kw)
        self.dt_proj = nn.utils.skip_init(nn.Linear, r, di, bias=True, **kw)
        self.out_proj = nn.utils.skip_init(nn.Linear, di, d_model, bias=config.bias, **kw)
        # S4D-real: A_n = -(n + 1) in every channel, stored as log so that A stays negative.
        a = torch.arange(1, n + 1, dtype=dtype).repeat(di, 1)  # (d_inner, N)
        self.A_log = nn.Parameter(torch.log(a))
        self.D = nn.Parameter(torch.ones(di, dtype=dtype))
        self._init_weights(seed)

    # The sizes, as attributes of the block like the original's; they are the config's.
    d_model = property(lambda self: self.config.d_model, doc="Width of the input and output.")
    d_state = property(lambda self: self.config.d_state, doc="N, state size per channel.")
    d_conv = property(lambda self: self.config.d_conv, doc="Width of the causal convolution.")
    expand = property(lambda self: self.config.expand, doc="d_inner / d_model.")
    d_inner = property(lambda self: self.config.d_inner, doc="Channels inside the block.")
    dt_rank = property(lambda self: self.config.rank, doc="R, the resolved dt_rank (an int).")

    @torch.no_grad()
    def _init_weights(self, seed: int) -> None:
        c = self.config
        g = torch.Generator().manual_seed(seed)

        def uniform_(p: torch.Tensor, bound: float) -> None:
            p.copy_((torch.rand(p.shape, generator=g, dtype=torch.float64) * 2 - 1) * bound)

        # PyTorch's default for Linear/Conv1d: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        for layer, fan_in in ((self.in_proj, self.d_model), (self.x_proj, self.d_inner),
                              (self.out_proj, self.d_inner), (self.conv1d, self.d_conv)):
            uniform_(layer.weight, fan_in ** -0.5)
            if layer.bias is not None:
                uniform_(layer.bias, fan_in ** -0.5)
        uniform_(self.dt_proj.weight, c.dt_scale * self.dt_rank ** -0.5)
        # Step sizes log-uniform in [dt_min, dt_max]; the bias is their inverse softplus,
        # softplus^{-1}(y) = y + log(1 - exp(-y)), so that softplus(bias) = dt at initialisation.
        log_dt = torch.rand(self.d_inner, generator=g, dtype=torch.float64)
        lo, hi = math.log(c.dt_min), math.log(c.dt_max)
        dt = torch.exp(log_dt * (hi - lo) + lo).clamp(min=c.dt_init_floor)
        self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))

    @property
    def A(self) -> torch.Tensor:
        """The state matrix's diagonal, ``-exp(A_log)`` [d_inner, N]."""
        return -torch.exp(self.A_log)

    def ssm_inputs(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Everything the selective scan receives for ``x`` [batch, L, d_model].

        Returns ``u`` (after conv and SiLU), ``delta`` (``dt_proj`` without its bias: the bias
        and the softplus are applied inside the scan), ``z`` -- each [batch, d_inner, L] --
        ``B``, ``C`` [batch, N, L], and ``x_raw`` [batch, d_inner, L] (the conv's input, from which
        the decoding cache is filled).
        """
        _check_x(x, self.d_model, "x", (3,))
        length = x.shape[1]
        xz = self.in_proj(x).transpose(1, 2)  # (batch, 2 d_inner, L)
        x_raw, z = xz.chunk(2, dim=1)  # (batch, d_inner, L) each
        # padding d_conv - 1 on both sides; keeping the first L outputs makes the conv causal
        u = F.silu(self.conv1d(x_raw)[..., :length])
        x_dbl = self.x_proj(u.transpose(1, 2))  # (batch, L, R + 2N)
        dt, B, C = torch.split(x_dbl, [self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.linear(dt, self.dt_proj.weight).transpose(1, 2)  # (batch, d_inner, L)
        return dict(u=u, delta=delta, z=z, B=B.transpose(1, 2).contiguous(),
                    C=C.transpose(1, 2).contiguous(), x_raw=x_raw)

    def step_sizes(self, x: torch.Tensor) -> torch.Tensor:
        """The step sizes the scan uses, ``softplus(delta + dt_proj.bias)`` [batch, d_inner, L]."""
        return F.softplus(self.ssm_inputs(x)["delta"] + self.dt_proj.bias[:, None])

    def forward(self, x: torch.Tensor, backend: str | None = None, return_state: bool = False):
        """Output [batch, L, d_model] for ``x`` [batch, L, d_model].

        ``backend`` overrides the block's default scan backend.  With ``return_state`` also
        returns ``(conv_state, ssm_state)`` after the last token, ready for :meth:`step`
        (the original fills them when ``inference_params`` is passed: "prefill").
        """
        s = self.ssm_inputs(x)
        y, last = selective_scan(
            s["u"], s["delta"], self.A, s["B"], s["C"], self.D, z=s["z"],
            delta_bias=self.dt_proj.bias, delta_softplus=True, output_final_state=True,
            backend=backend or self.backend)
        out = self.out_proj(y.transpose(1, 2))  # (batch, L, d_model)
        if not return_state:
            return out
        # the conv window holds the last d_conv raw inputs, zero-padded on the left if L < d_conv
        conv_state = F.pad(s["x_raw"], (self.d_conv - x.shape[1], 0))
        return out, (conv_state, last.to(self.A_log.dtype))

    def allocate_inference_cache(self, batch: int, dtype: torch.dtype | None = None,
                                 device: torch.device | str | None = None):
        """Zero ``conv_state`` [batch, d_inner, d_conv] and ``ssm_state`` [batch, d_inner, N]."""
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ValueError(f"batch must be a positive int, got {batch!r}")
        dtype = dtype or self.A_log.dtype
        device = device or self.A_log.device
        return (torch.zeros(batch, self.d_inner, self.d_conv, dtype=dtype, device=device),
                torch.zeros(batch, self.d_inner, self.d_state, dtype=dtype, device=device))

    def step(self, x_t: torch.Tensor, conv_state: torch.Tensor, ssm_state: torch.Tensor):
        """Decode one token: ``x_t`` [batch, d_model] or [batch, 1, d_model].

        Updates ``conv_state`` [batch, d_inner, d_conv] and ``ssm_state`` [batch, d_inner, N] in
        place (as the original does) and returns ``(out, conv_state, ssm_state)`` with ``out`` of
        the shape of ``x_t``.
        """
        _check_x(x_t, self.d_model, "x_t", (2, 3))
        if x_t.dim() == 3 and x_t.shape[1] != 1:
            raise ValueError(f"step decodes one token; x_t has {x_t.shape[1]} (use forward)")
        batch = x_t.shape[0]
        for name, t, last in (("conv_state", conv_state, self.d_conv),
                              ("ssm_state", ssm_state, self.d_state)):
            if not isinstance(t, torch.Tensor) or t.shape != (batch, self.d_inner, last):
                got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
                raise ValueError(f"{name} must have shape [batch={batch}, d_inner={self.d_inner}, "
                                 f"{last}], got {got}")
        xz = self.in_proj(x_t.reshape(batch, self.d_model))  # (batch, 2 d_inner)
        x, z = xz.chunk(2, dim=-1)
        # slide the window left by one and append the new input on the right
        conv_state.copy_(torch.roll(conv_state, shifts=-1, dims=-1))
        conv_state[:, :, -1] = x
        x = (conv_state * self.conv1d.weight[:, 0, :]).sum(-1)  # (batch, d_inner)
        if self.conv1d.bias is not None:
            x = x + self.conv1d.bias
        x = F.silu(x)
        dt, B, C = torch.split(self.x_proj(x), [self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.softplus(self.dt_proj(dt))  # (batch, d_inner): bias included here
        dA = torch.exp(delta[:, :, None] * self.A)  # (batch, d_inner, N)
        dBu = delta[:, :, None] * B[:, None, :] * x[:, :, None]  # (batch, d_inner, N)
        ssm_state.copy_(ssm_state * dA + dBu)
        y = (ssm_state.to(x.dtype) * C[:, None, :]).sum(-1) + self.D * x  # (batch, d_inner)
        out = self.out_proj(y * F.silu(z))
        return out.reshape(x_t.shape), conv_state, ssm_state
