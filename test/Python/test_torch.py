"""optim.torch against torch.optim: training loops, checkpoints, bad input.

Run with Debian's interpreter (python3-torch): /usr/bin/python3, with the
build tree's package on PYTHONPATH (ctest sets it up).
"""

import collections
import copy
import ctypes
import glob
import io
import json
import os
import pickle
import sys
import unittest

try:
    import torch
except ImportError:
    print("torch is not installed for", sys.executable, "(python3-torch)")
    sys.exit(77)  # ctest's SKIP_RETURN_CODE

import optim
import optim.torch

F32_TOL = dict(rtol=2e-5, atol=2e-6)  # the golden cases' tolerances
F64_TOL = dict(rtol=1e-11, atol=1e-12)
GOLDEN = os.environ.get(
    "OPTIM_GOLDEN_DIR",
    os.path.join(os.path.dirname(__file__), "..", "Conformance", "golden"))


def make_model(dtype=torch.float32, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(4 * 6 * 6, 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 5)).to(dtype)


def train_step(model, opt, x, y):
    """One step of the cross-entropy loss of `model` on (x, y)."""
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()


def batches(dtype, n=12, seed=1):
    g = torch.Generator().manual_seed(seed)
    for _ in range(n):
        x = torch.randn(16, 1, 8, 8, generator=g, dtype=dtype)
        y = torch.randint(0, 5, (16,), generator=g)
        yield x, y


def groups_of(model, decay, lr_bias=None):
    """Weight decay on weights, none on biases: the everyday two groups."""
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    bias_group = {"params": biases, "weight_decay": 0.0}
    if lr_bias is not None:
        bias_group["lr"] = lr_bias
    return [{"params": weights, "weight_decay": decay}, bias_group]


class TestCase(unittest.TestCase):

    def assertClose(self, got, want, tol, what=""):
        got, want = got.detach().double(), want.detach().double()
        bad = (got - want).abs() > tol["atol"] + tol["rtol"] * want.abs()
        if bad.any():
            i = bad.nonzero()[0].tolist()
            self.fail(f"{what}: {int(bad.sum())} elements differ, e.g. at "
                      f"{i}: {got[tuple(i)].item()!r} vs "
                      f"{want[tuple(i)].item()!r}")

    def assertModelsClose(self, a, b, tol, what):
        for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
            self.assertClose(pb, pa, tol, f"{what} {name}")

    def train_both(self, ref_cls, ref_kw, our_cls, our_kw, dtype, tol,
                   groups=None, scheduler=None, steps=12):
        """The same model, init and batches through torch.optim and
        optim.torch; parameters compared after every step."""
        a, b = make_model(dtype), make_model(dtype)
        pa = groups(a) if groups else a.parameters()
        pb = groups(b) if groups else b.parameters()
        oa, ob = ref_cls(pa, **ref_kw), our_cls(pb, **our_kw)
        sa = scheduler(oa) if scheduler else None
        sb = scheduler(ob) if scheduler else None
        for step, (x, y) in enumerate(batches(dtype, steps)):
            for model, opt, sched in ((a, oa, sa), (b, ob, sb)):
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(x), y)
                loss.backward()
                opt.step()
                if sched:
                    sched.step()
            self.assertModelsClose(a, b, tol, f"step {step + 1}")
        return a, b, oa, ob


class TrainingLoops(TestCase):

    def test_adamw_f32(self):
        self.train_both(torch.optim.AdamW, dict(lr=1e-2),
                        optim.torch.AdamW, dict(lr=1e-2), torch.float32,
                        F32_TOL)

    def test_adamw_amsgrad_groups_onecycle_f32(self):
        sched = lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, max_lr=2e-2, total_steps=12)
        _, _, oa, ob = self.train_both(
            torch.optim.AdamW, dict(lr=1e-2, amsgrad=True), optim.torch.AdamW,
            dict(lr=1e-2, amsgrad=True), torch.float32, F32_TOL,
            groups=lambda m: groups_of(m, 0.1), scheduler=sched)
        # OneCycleLR cycles beta1 too: the groups' betas changed.
        self.assertEqual(oa.param_groups[0]["betas"],
                         ob.param_groups[0]["betas"])

    def test_adam_amsgrad_maximize_weight_decay_f64(self):
        kw = dict(lr=5e-3, weight_decay=0.05, amsgrad=True, maximize=True)
        sched = lambda o: torch.optim.lr_scheduler.StepLR(o, 3, gamma=0.5)
        self.train_both(torch.optim.Adam, kw, optim.torch.Adam, kw,
                        torch.float64, F64_TOL, scheduler=sched)

    def test_adam_groups_f64(self):
        kw = dict(lr=1e-2, weight_decay=0.01)
        sched = lambda o: torch.optim.lr_scheduler.LambdaLR(
            o, [lambda s: 1.0 / (1 + s), lambda s: 0.9**s])
        self.train_both(torch.optim.Adam, kw, optim.torch.Adam, kw,
                        torch.float64, F64_TOL,
                        groups=lambda m: groups_of(m, 0.02, lr_bias=3e-3),
                        scheduler=sched)

    def test_adamw_maximize_f64_set_to_none(self):
        # New gradient tensors every step (the pointer table is refreshed).
        a, b = make_model(torch.float64), make_model(torch.float64)
        oa = torch.optim.AdamW(a.parameters(), lr=1e-2, maximize=True)
        ob = optim.torch.AdamW(b.parameters(), lr=1e-2, maximize=True)
        for x, y in batches(torch.float64, 6):
            for model, opt in ((a, oa), (b, ob)):
                opt.zero_grad(set_to_none=True)
                torch.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
            self.assertModelsClose(a, b, F64_TOL, "set_to_none")

    def test_large_group_runs_on_threads(self):
        # Above optim.torch.SERIAL_BELOW elements the step is split over the
        # compiler's threads.
        n = optim.torch.SERIAL_BELOW + 4099
        torch.manual_seed(0)
        a = [torch.nn.Parameter(torch.randn(n)), torch.nn.Parameter(
            torch.randn(7))]
        b = [torch.nn.Parameter(p.detach().clone()) for p in a]
        oa = torch.optim.AdamW(a, lr=1e-2, amsgrad=True)
        ob = optim.torch.AdamW(b, lr=1e-2, amsgrad=True)
        for step in range(3):
            for p, q in zip(a, b):
                p.grad = torch.randn(p.shape)
                q.grad = p.grad.clone()
            oa.step()
            ob.step()
            self.assertFalse(ob._plans[0].runs[0].serial)
            for p, q in zip(a, b):
                self.assertClose(q, p, F32_TOL, f"step {step}")

    @unittest.skipUnless(hasattr(os, "fork"), "no fork")
    @unittest.skipIf(int(torch.__version__.split(".")[0]) >= 2,
                     "torch 2.x's own ops hang in a forked child (its "
                     "thread pool); CompilerMisuse.AForkedChildStepsOnItsOwn"
                     "Thread covers optim's pool")
    def test_forked_child_steps(self):
        # multiprocessing's fork start method: the child has none of the
        # compiler's worker threads, and its step runs on its own thread.
        n = optim.torch.SERIAL_BELOW + 4099
        torch.manual_seed(0)
        a = [torch.nn.Parameter(torch.randn(n))]
        b = [torch.nn.Parameter(a[0].detach().clone())]
        oa = torch.optim.AdamW(a, lr=1e-2)
        ob = optim.torch.AdamW(b, lr=1e-2)
        for _ in range(2):  # the parent's steps run on the workers
            a[0].grad = torch.randn(n)
            b[0].grad = a[0].grad.clone()
            oa.step()
            ob.step()
        self.assertFalse(ob._plans[0].runs[0].serial)
        # torch's own step hangs in a forked child (its thread pool, on
        # torch 2.x): the reference is stepped here, before the fork.
        oa.step()
        pid = os.fork()
        if pid == 0:  # the child: exit status 0 if its step matches torch
            status = 1
            try:
                import signal
                signal.alarm(20)
                ob.step()
                status = 0 if torch.allclose(b[0], a[0], **F32_TOL) else 3
                # Let go of the compiler, as an exiting child would: its
                # worker pool must not wait for the missing workers.
                import gc
                from optim import _capi
                del ob
                _capi._default_compiler = None
                gc.collect()
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        self.assertTrue(os.WIFEXITED(status),
                        f"the child was killed by signal "
                        f"{os.WTERMSIG(status) if os.WIFSIGNALED(status) else '?'}")
        self.assertEqual(os.WEXITSTATUS(status), 0)

    @unittest.skipUnless(hasattr(torch.optim.Optimizer,
                                 "register_step_pre_hook"),
                         "torch without optimizer step hooks")
    def test_step_hooks(self):
        p = torch.nn.Parameter(torch.ones(3))
        opt = optim.torch.AdamW([p])
        calls = []
        opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
        opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
        p.grad = torch.ones(3)
        opt.step()
        self.assertEqual(calls, ["pre", "post"])
        self.assertLess(p[0].item(), 1.0)

    def test_closure(self):
        a, b = make_model(torch.float64), make_model(torch.float64)
        oa = torch.optim.Adam(a.parameters(), lr=1e-2)
        ob = optim.torch.Adam(b.parameters(), lr=1e-2)
        x, y = next(batches(torch.float64, 1))
        for model, opt in ((a, oa), (b, ob)):
            def closure():
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(x), y)
                loss.backward()
                return loss
            loss = opt.step(closure)
            self.assertIsInstance(loss, torch.Tensor)
        self.assertModelsClose(a, b, F64_TOL, "closure")

    def test_params_without_grad_are_skipped(self):
        torch.manual_seed(0)
        pa = [torch.nn.Parameter(torch.randn(5, dtype=torch.float64))
              for _ in range(3)]
        pb = [torch.nn.Parameter(p.detach().clone()) for p in pa]
        oa = torch.optim.AdamW(pa, lr=0.1)
        ob = optim.torch.AdamW(pb, lr=0.1)
        for step in range(6):
            for ps, opt in ((pa, oa), (pb, ob)):
                opt.zero_grad(set_to_none=True)
                for i, p in enumerate(ps):
                    # Parameter 1 gets a gradient on odd steps only, 2 never.
                    if i == 0 or (i == 1 and step % 2):
                        p.grad = torch.full_like(p, 0.5 + step)
                opt.step()
            for x, y in zip(pa, pb):
                self.assertClose(y, x, F64_TOL, f"step {step}")
        self.assertNotIn(pb[2], ob.state)
        self.assertEqual(float(ob.state[pb[0]]["step"]), 6)
        self.assertEqual(float(ob.state[pb[1]]["step"]), 3)
        self.assertEqual(float(oa.state[pa[1]]["step"]), 3)

    def test_half_precision_keeps_f32_moments(self):
        for dtype in (torch.bfloat16, torch.float16):
            torch.manual_seed(0)
            w = torch.randn(300).to(dtype)
            p = torch.nn.Parameter(w.clone())
            opt = optim.torch.AdamW([p], lr=1e-2, weight_decay=0.1)
            # The reference: f32 moments and arithmetic on the f32 value of
            # the parameter, rounded to its type once per step.
            ref, m, v = w.double(), torch.zeros(300, dtype=torch.float64), \
                torch.zeros(300, dtype=torch.float64)
            for t in range(1, 6):
                g = torch.randn(300).to(dtype)
                p.grad = g.clone()
                opt.step()
                gd = g.double()
                ref = ref * (1 - 1e-2 * 0.1)
                m = 0.9 * m + 0.1 * gd
                v = 0.999 * v + 0.001 * gd * gd
                ref = ref - 1e-2 / (1 - 0.9**t) * m / (
                    v.sqrt() / (1 - 0.999**t)**0.5 + 1e-8)
                ref = ref.to(dtype).double()
                # One rounding step of the type apart at most.
                ulp = 2.0**-7 if dtype == torch.bfloat16 else 2.0**-10
                self.assertClose(p, ref, dict(rtol=ulp, atol=1e-6),
                                 f"{dtype} step {t}")
            state = opt.state[p]
            self.assertEqual(state["exp_avg"].dtype, torch.float32)
            self.assertEqual(state["exp_avg_sq"].dtype, torch.float32)
            # torch.optim loads the checkpoint by casting to the param type.
            torch_opt = torch.optim.AdamW([p], lr=1e-2)
            torch_opt.load_state_dict(opt.state_dict())
            self.assertEqual(torch_opt.state[p]["exp_avg"].dtype, dtype)

    def test_step_bumps_autograd_versions(self):
        # A parameter saved for backward and then stepped: autograd refuses
        # the second backward, as after torch.optim's in-place step (the
        # kernel writes through pointers, which torch does not see).
        for cls in (torch.optim.AdamW, optim.torch.AdamW):
            torch.manual_seed(0)
            lin = torch.nn.Linear(3, 1)
            opt = cls(lin.parameters(), lr=0.1, amsgrad=True)
            x = torch.randn(4, 3, requires_grad=True)
            out = lin(x).sum()
            out.backward(retain_graph=True)
            before = lin.weight._version
            opt.step()
            self.assertGreater(lin.weight._version, before, cls)
            # Every step bumps it, the cached table's too.
            before = lin.weight._version
            lin.weight.grad = torch.ones_like(lin.weight)
            opt.step()
            self.assertGreater(lin.weight._version, before, cls)
            with self.assertRaisesRegex(RuntimeError, "modified by an "
                                        "inplace operation"):
                out.backward()
        # The bump changes no value: the same steps as torch's.
        a, b = make_model(torch.float64), make_model(torch.float64)
        oa = torch.optim.AdamW(a.parameters(), lr=1e-2)
        ob = optim.torch.AdamW(b.parameters(), lr=1e-2)
        for x, y in batches(torch.float64, 3):
            for model, opt in ((a, oa), (b, ob)):
                train_step(model, opt, x, y)
        self.assertModelsClose(a, b, F64_TOL, "after version bumps")

    def test_tensor_lr_changed_in_place(self):
        # A Tensor lr stays in the group (torch.optim keeps it too), and an
        # in-place change of it (a scheduler's fill_) is the next step's lr.
        torch.manual_seed(0)
        a = [torch.nn.Parameter(torch.randn(5, 3, dtype=torch.float64))]
        b = [torch.nn.Parameter(a[0].detach().clone())]
        lr_a = torch.tensor(0.01, dtype=torch.float64)
        lr_b = torch.tensor(0.01, dtype=torch.float64)
        oa = torch.optim.AdamW(a, lr=lr_a, foreach=False)
        ob = optim.torch.AdamW(b, lr=lr_b)
        for step in range(4):
            a[0].grad = torch.randn(5, 3, dtype=torch.float64)
            b[0].grad = a[0].grad.clone()
            oa.step()
            ob.step()
            self.assertClose(b[0], a[0], F64_TOL, f"step {step + 1}")
            lr_a.mul_(3)
            lr_b.mul_(3)
        self.assertIs(ob.param_groups[0]["lr"], lr_b)
        with self.assertRaisesRegex(ValueError, "1-element"):
            optim.torch.AdamW(b, lr=torch.tensor([1e-3, 1e-3]))
        with self.assertRaisesRegex(ValueError, "learning rate"):
            optim.torch.AdamW(b, lr=torch.tensor(-1e-3))

    def test_adam_decoupled_weight_decay(self):
        # torch 2.x's Adam(decoupled_weight_decay=True) is AdamW: ours too.
        kw = dict(lr=5e-3, weight_decay=0.3)
        self.train_both(torch.optim.AdamW, kw, optim.torch.Adam,
                        dict(kw, decoupled_weight_decay=True), torch.float64,
                        F64_TOL, steps=6)
        p = [torch.nn.Parameter(torch.zeros(3))]
        adam = optim.torch.Adam(p, decoupled_weight_decay=True,
                                decay_rate="effective")
        self.assertEqual(adam.defaults["decay_rate"], "effective")
        with self.assertRaisesRegex(ValueError, "decay_rate"):
            optim.torch.Adam(p, decay_rate="effective")
        with self.assertRaisesRegex(TypeError, "decoupled_weight_decay"):
            optim.torch.AdamW(p, decoupled_weight_decay=False)
        # A checkpoint carries the option (torch's rule: the loaded group's
        # options replace the optimizer's), except into AdamW, which always
        # decouples; a checkpoint without it (torch 1.13's, or older) is
        # Adam's L2 decay.
        a, b = make_model(torch.float64), make_model(torch.float64)
        ob = optim.torch.Adam(b.parameters(), decoupled_weight_decay=True,
                              **kw)
        oa = torch.optim.AdamW(a.parameters(), **kw)
        data = list(batches(torch.float64, 6))
        for i, (x, y) in enumerate(data):
            if i == 3:
                saved = ob.state_dict()
                self.assertTrue(saved["param_groups"][0]
                                ["decoupled_weight_decay"])
                ob = optim.torch.Adam(b.parameters(), **kw)
                ob.load_state_dict(saved)
            for model, opt in ((a, oa), (b, ob)):
                train_step(model, opt, x, y)
            self.assertModelsClose(a, b, F64_TOL, f"step {i + 1}")
        plain = copy.deepcopy(saved)
        for group in plain["param_groups"]:
            del group["decoupled_weight_decay"]
        adam = optim.torch.Adam(b.parameters(), decoupled_weight_decay=True)
        adam.load_state_dict(plain)
        self.assertFalse(adam.param_groups[0]["decoupled_weight_decay"])
        adamw = optim.torch.AdamW(b.parameters())
        adamw.load_state_dict(plain)
        self.assertTrue(adamw.param_groups[0]["decoupled_weight_decay"])

    @unittest.skipUnless(
        "decoupled_weight_decay" in torch.optim.Adam.__init__.__code__
        .co_varnames, "torch.optim.Adam without decoupled_weight_decay")
    def test_torch_decoupled_adam_checkpoint(self):
        torch.manual_seed(0)
        a = [torch.nn.Parameter(torch.randn(4, 3, dtype=torch.float64))]
        b = [torch.nn.Parameter(a[0].detach().clone())]
        kw = dict(lr=0.1, weight_decay=0.5)
        oa = torch.optim.Adam(a, decoupled_weight_decay=True, **kw)
        a[0].grad = torch.randn(4, 3, dtype=torch.float64)
        oa.step()
        with torch.no_grad():
            b[0].copy_(a[0])
        ob = optim.torch.Adam(b, **kw)
        ob.load_state_dict(oa.state_dict())
        for step in range(3):
            a[0].grad = torch.randn(4, 3, dtype=torch.float64)
            b[0].grad = a[0].grad.clone()
            oa.step()
            ob.step()
            self.assertClose(b[0], a[0], F64_TOL, f"step {step + 1}")

    def test_channels_last_and_transposed_params(self):
        # Dense tensors in any order of their dims step in memory order,
        # their gradients and state laid out alike (autograd gives the
        # gradient the parameter's strides; fresh moments take them too).
        def conv(seed):
            torch.manual_seed(seed)
            return torch.nn.Sequential(
                torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
                torch.nn.Conv2d(4, 2, 1)).double().to(
                    memory_format=torch.channels_last)
        a, b = conv(0), conv(0)
        weight = b[0].weight
        self.assertFalse(weight.is_contiguous())
        oa = torch.optim.AdamW(a.parameters(), lr=1e-2, amsgrad=True)
        ob = optim.torch.AdamW(b.parameters(), lr=1e-2, amsgrad=True)
        g = torch.Generator().manual_seed(1)
        xs = [torch.randn(2, 3, 8, 8, generator=g, dtype=torch.float64).to(
            memory_format=torch.channels_last) for _ in range(6)]
        for i, x in enumerate(xs):
            if i == 3:  # through a checkpoint, into torch and back
                ref = torch.optim.AdamW(b.parameters(), lr=1e-2,
                                        amsgrad=True)
                ref.load_state_dict(ob.state_dict())
                ob = optim.torch.AdamW(b.parameters(), lr=1e-2,
                                       amsgrad=True)
                ob.load_state_dict(ref.state_dict())
            for model, opt in ((a, oa), (b, ob)):
                opt.zero_grad()
                model(x).square().sum().backward()
                opt.step()
            self.assertModelsClose(a, b, F64_TOL, f"step {i + 1}")
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            self.assertEqual(ob.state[weight][key].stride(), weight.stride())
            self.assertClose(ob.state[weight][key],
                             oa.state[a[0].weight][key], F64_TOL, key)
        # A transposed parameter and gradient step as torch's.
        torch.manual_seed(2)
        p = torch.nn.Parameter(torch.randn(6, 4, dtype=torch.float64).t())
        q = torch.nn.Parameter(p.detach().clone())
        oq = torch.optim.Adam([q], lr=0.1)
        op = optim.torch.Adam([p], lr=0.1)
        for step in range(3):
            p.grad = torch.randn(6, 4, dtype=torch.float64).t()
            q.grad = p.grad.clone()
            oq.step()
            op.step()
            self.assertClose(p, q, F64_TOL, f"transposed step {step + 1}")
        # A gradient laid out otherwise (contiguous, as torch.autograd.grad
        # may give it) steps from a copy in the parameter's layout, as
        # torch's step pairs elements by index.
        for step in range(2):
            p.grad = torch.randn(4, 6, dtype=torch.float64)
            q.grad = p.grad.clone()
            oq.step()
            op.step()
            self.assertClose(p, q, F64_TOL, f"contiguous grad {step + 1}")
        # Moments laid out otherwise are refused, and nothing is written.
        before = p.detach().clone()
        p.grad = p.grad.t().contiguous().t()
        op.state[p]["exp_avg"] = op.state[p]["exp_avg"].contiguous()
        with self.assertRaisesRegex(ValueError, "'exp_avg' .* laid out as "
                                    "the parameter"):
            op.step()
        self.assertTrue(torch.equal(p.detach(), before))
        # 8-bit moments follow memory order in blocks: contiguous only.
        big = torch.nn.Parameter(torch.randn(8, 16, 8, 8).to(
            memory_format=torch.channels_last))
        o8 = optim.torch.AdamW([big], moment_dtype=torch.uint8)
        big.grad = torch.randn_like(big)
        with self.assertRaisesRegex(ValueError, "8-bit moments need a "
                                    "contiguous parameter"):
            o8.step()
        self.assertEqual(len(o8.state), 0)

    def test_grads_laid_out_otherwise_step_as_torch(self):
        # Gradients whose layout is not the parameter's (a transpose's, a
        # contiguous one for a channels_last parameter, as torch.autograd.
        # grad may give, an expand's zero strides) step as in torch.optim,
        # from a copy in the parameter's layout made anew at every step: of
        # new gradients at new addresses, of one changed in place, in a
        # group of two calls (an f64 and an f32 one), under global-norm
        # clipping (whose norm pass reads the copies too).
        torch.manual_seed(7)
        a = [torch.nn.Parameter(torch.randn(4, 6, dtype=torch.float64)),
             torch.nn.Parameter(torch.randn(3, 5, dtype=torch.float64)),
             torch.nn.Parameter(torch.randn(2, 3, 4, 4, dtype=torch.float64)
                                .to(memory_format=torch.channels_last)),
             torch.nn.Parameter(torch.randn(5, 4))]
        b = [torch.nn.Parameter(p.detach().clone()) for p in a]
        self.assertEqual(b[2].stride(), a[2].stride())
        oa = torch.optim.AdamW(a, lr=1e-2, amsgrad=True)
        ob = optim.torch.AdamW(b, lr=1e-2, amsgrad=True, max_grad_norm=1.0)

        def otherwise(p):
            if p.dim() == 4:  # contiguous, not channels_last
                return torch.randn(p.shape, dtype=p.dtype)
            if p.shape == (3, 5):  # one row, expanded
                return torch.randn(1, 5, dtype=p.dtype).expand(3, 5)
            return torch.randn(p.shape[::-1], dtype=p.dtype).t()

        for step in range(6):
            for p, q in zip(a, b):
                if step == 2:  # the same gradients, changed in place
                    if q.grad.stride()[0] != 0:
                        q.grad.mul_(-2)
                else:  # step 3: in the parameters' layouts, then otherwise
                    q.grad = (torch.randn_like(q) if step == 3
                              else otherwise(q))
                # (clip_grad_norm_ scales the reference's in place)
                p.grad = q.grad.clone()
                self.assertEqual(q.grad.stride() == q.stride(), step == 3)
            norm = torch.nn.utils.clip_grad_norm_(a, 1.0)
            self.assertGreater(norm.item(), 1.0)  # it clips
            oa.step()
            ob.step()
            for i, (p, q) in enumerate(zip(a, b)):
                # The norm has an f32 part, which torch sums in f32 (optim
                # in f64): the f64 parameters agree to its rounding.
                tol = (dict(rtol=1e-9, atol=1e-10)
                       if p.dtype == torch.float64 else F32_TOL)
                self.assertClose(q, p, tol, f"step {step + 1} param {i}")
            self.assertAlmostEqual(ob.last_grad_norm, norm.item(),
                                   delta=1e-6 * norm.item())
        self.assertEqual(len(ob._plans[0].runs), 2)
        for q in b:  # the moments keep the parameter's layout
            self.assertEqual(ob.state[q]["exp_avg"].stride(), q.stride())

    def test_steps_in_and_after_inference_mode(self):
        # A step under torch.inference_mode, the first (which builds the
        # tables and the state) and a rebuilding one (for a gradient's
        # copy), runs as torch.optim's, and so do the steps after it: what
        # the step creates are normal tensors, which later steps update in
        # place.
        torch.manual_seed(8)
        a = torch.nn.Parameter(torch.randn(5, 3, dtype=torch.float64))
        b = torch.nn.Parameter(a.detach().clone())
        oa = torch.optim.AdamW([a], lr=0.1, amsgrad=True)
        ob = optim.torch.AdamW([b], lr=0.1, amsgrad=True)
        for step in range(5):
            g = torch.randn(5, 3, dtype=torch.float64)
            if step >= 2:  # laid out otherwise: a copy, made at step 3
                g = g.t().contiguous().t()
            b.grad, a.grad = g, g.clone()
            with torch.inference_mode(step in (0, 2)):
                ob.step()
            # torch's first step under inference_mode makes inference
            # state, which its next step outside refuses to update in
            # place: the reference steps outside it.
            oa.step()
            self.assertClose(b, a, F64_TOL, f"step {step + 1}")
        self.assertFalse(b.is_inference())
        for value in ob.state[b].values():
            self.assertFalse(value.is_inference())
        self.assertEqual(float(ob.state[b]["step"]), 5)
        # A fresh state made inside, stepped outside.
        c = torch.nn.Parameter(torch.ones(3))
        oc = optim.torch.Adam([c])
        c.grad = torch.ones(3)
        with torch.inference_mode():
            oc.step()
        oc.step()
        self.assertEqual(float(oc.state[c]["step"]), 2)


class Checkpoints(TestCase):

    def interchange(self, first, second, dtype, tol, amsgrad):
        """Train 4 steps with `first`, checkpoint through torch.save, and
        continue 4 steps with `second`, against torch.optim throughout."""
        ref, model = make_model(dtype), make_model(dtype)
        kw = dict(lr=1e-2, amsgrad=amsgrad)
        oref = torch.optim.AdamW(groups_of(ref, 0.1), **kw)
        opt = first(groups_of(model, 0.1), **kw)
        data = list(batches(dtype, 8))

        def train(opt, model, xs):
            for x, y in xs:
                train_step(model, opt, x, y)

        train(oref, ref, data[:4])
        train(opt, model, data[:4])
        buffer = io.BytesIO()
        torch.save(opt.state_dict(), buffer)
        buffer.seek(0)
        opt2 = second(groups_of(model, 0.1), **kw)
        opt2.load_state_dict(torch.load(buffer))
        sd = opt2.state_dict()
        self.assertEqual(set(sd["state"][0]),
                         {"step", "exp_avg", "exp_avg_sq"} |
                         ({"max_exp_avg_sq"} if amsgrad else set()))
        self.assertEqual(float(sd["state"][0]["step"]), 4)
        train(oref, ref, data[4:])
        train(opt2, model, data[4:])
        self.assertModelsClose(ref, model, tol, "after the checkpoint")
        for pr, pm in zip(ref.parameters(), model.parameters()):
            for key in oref.state[pr]:
                self.assertClose(opt2.state[pm][key], oref.state[pr][key],
                                 tol, key)

    def test_optim_to_torch(self):
        self.interchange(optim.torch.AdamW, torch.optim.AdamW,
                         torch.float64, F64_TOL, amsgrad=True)

    def test_torch_to_optim(self):
        self.interchange(torch.optim.AdamW, optim.torch.AdamW,
                         torch.float64, F64_TOL, amsgrad=True)
        self.interchange(torch.optim.AdamW, optim.torch.AdamW,
                         torch.float32, F32_TOL, amsgrad=False)

    def test_optim_round_trip_is_exact(self):
        model = make_model()
        opt = optim.torch.AdamW(model.parameters(), lr=1e-2)
        for x, y in batches(torch.float32, 3):
            train_step(model, opt, x, y)
        opt2 = optim.torch.AdamW(model.parameters(), lr=1e-2)
        opt2.load_state_dict(opt.state_dict())
        for p in model.parameters():
            for key, value in opt.state[p].items():
                self.assertTrue(torch.equal(value, opt2.state[p][key]), key)

    def test_rejected_checkpoint_changes_nothing(self):
        model = make_model()
        opt = optim.torch.AdamW(model.parameters(), lr=1e-2)
        x, y = next(batches(torch.float32, 1))
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        before = opt.state_dict()
        bad = opt.state_dict()
        bad["state"][1]["exp_avg"] = torch.zeros(3)
        with self.assertRaisesRegex(ValueError, "exp_avg has shape"):
            opt.load_state_dict(bad)
        bad = opt.state_dict()
        bad["state"][2]["step"] = torch.tensor(-1.0)
        with self.assertRaisesRegex(ValueError, "not a count of steps"):
            opt.load_state_dict(bad)
        after = opt.state_dict()
        for k in before["state"]:
            for key in before["state"][k]:
                self.assertTrue(torch.equal(before["state"][k][key],
                                            after["state"][k][key]))


    @unittest.skipUnless(hasattr(torch.optim.Optimizer,
                                 "register_load_state_dict_pre_hook"),
                         "torch without load_state_dict hooks")
    def test_load_state_dict_hooks(self):
        model = make_model()
        opt = optim.torch.AdamW(model.parameters(), lr=1e-2)
        for x, y in batches(torch.float32, 2):
            train_step(model, opt, x, y)
        saved = opt.state_dict()
        calls = []

        def pre(o, state_dict):  # returns the checkpoint to load
            calls.append("pre")
            state_dict = copy.deepcopy(state_dict)
            for value in state_dict["state"].values():
                value["exp_avg"] = torch.zeros_like(value["exp_avg"])
                value["step"] = torch.tensor(100.0)
            state_dict["param_groups"][0]["lr"] = 0.5
            return state_dict

        def post(o):
            calls.append("post")
            self.assertEqual(o.param_groups[0]["lr"], 0.5)
            for p in model.parameters():
                self.assertEqual(float(o.state[p]["step"]), 100)
                self.assertFalse(o.state[p]["exp_avg"].any())

        for cls in (torch.optim.AdamW, optim.torch.AdamW):
            calls.clear()
            o = cls(model.parameters(), lr=1e-2)
            o.register_load_state_dict_pre_hook(pre)
            o.register_load_state_dict_post_hook(post)
            o.load_state_dict(saved)
            self.assertEqual(calls, ["pre", "post"], cls)
            post(o)
        self.assertNotEqual(saved["param_groups"][0]["lr"], 0.5)
        # What is checked is the hook's checkpoint: one that repairs a bad
        # checkpoint makes it load.
        broken = copy.deepcopy(saved)
        del broken["state"][0]["exp_avg_sq"]
        o = optim.torch.AdamW(model.parameters(), lr=1e-2)
        with self.assertRaisesRegex(ValueError, "exp_avg_sq"):
            o.load_state_dict(broken)
        o.register_load_state_dict_pre_hook(lambda o, sd: saved)
        o.load_state_dict(broken)
        self.assertTrue(torch.equal(o.state[next(model.parameters())]
                                    ["exp_avg_sq"], opt.state[next(
                                        model.parameters())]["exp_avg_sq"]))
        # A post-hook sees the state as loaded: a bf16 parameter's moments
        # widened to f32 (torch.optim's checkpoint has bf16 ones).
        w = torch.nn.Parameter(torch.randn(8).to(torch.bfloat16))
        ref = torch.optim.AdamW([w])
        w.grad = torch.randn(8).to(torch.bfloat16)
        ref.step()
        seen = []
        o = optim.torch.AdamW([w])
        o.register_load_state_dict_post_hook(
            lambda o: seen.append(o.state[w]["exp_avg"].dtype))
        o.load_state_dict(ref.state_dict())
        self.assertEqual(seen, [torch.float32])


class Presets(TestCase):
    """The golden cases through optim.torch.preset and the group options."""

    def test_golden_cases(self):
        names = {
            ("standard", "none"): "torch.adam",
            ("standard", "l2"): "torch.adam",
            ("standard", "decoupled"): "torch.adamw",
            ("none", "decoupled"): "mindspore.adam_weight_decay",
            ("folded", "none"): "mindspore.apply_adam_with_amsgrad_v2",
            ("folded", "decoupled"): "brainpy.adamw",
        }
        files = sorted(glob.glob(os.path.join(GOLDEN, "*.json")))
        self.assertGreater(len(files), 10, GOLDEN)
        ran = 0
        for path in files:
            with open(path) as f:
                case = json.load(f)
            c = case["config"]
            if "beta1_power" in c:
                continue  # given powers: not a step-count optimizer
            dtype = torch.float32 if case["dtype"] == "f32" else torch.float64
            name = names[(c["bias_correction"], c["weight_decay_mode"])]
            kw = dict(betas=(c["beta1"], c["beta2"]), eps=c["eps"],
                      weight_decay=c["weight_decay"], amsgrad=c["amsgrad"],
                      maximize=c["maximize"])
            if c.get("decay_lr") == "effective":
                name = "mxnet.adamw"
                kw["correct_bias"] = c["bias_correction"] != "none"
                kw["rescale_grad"] = c.get("rescale_grad", 1.0)
                kw["clip_gradient"] = c.get("clip_gradient", -1.0)
            shape = case["shape"]
            t = lambda a: torch.tensor(a, dtype=dtype).reshape(shape)
            p = torch.nn.Parameter(t(case["init"]["param"]))
            opt = optim.torch.preset(name, [p], lr=case["lr_per_step"][0],
                                     **kw)
            state = {"step": torch.tensor(float(case["first_step"] - 1)),
                     "exp_avg": t(case["init"]["m"]),
                     "exp_avg_sq": t(case["init"]["v"])}
            if c["amsgrad"]:
                state["max_exp_avg_sq"] = t(case["init"]["vmax"])
            sd = opt.state_dict()
            sd["state"] = {0: state}
            opt.load_state_dict(sd)
            for lr, g in zip(case["lr_per_step"], case["grads"]):
                opt.param_groups[0]["lr"] = lr
                p.grad = t(g)
                opt.step()
            tol = case["tolerance"]
            exp = case["expected"]
            self.assertClose(p, t(exp["param"]), tol, case["name"])
            self.assertClose(opt.state[p]["exp_avg"], t(exp["m"]), tol,
                             case["name"] + " m")
            if c["amsgrad"]:
                self.assertClose(opt.state[p]["max_exp_avg_sq"],
                                 t(exp["vmax"]), tol, case["name"] + " vmax")
            ran += 1
        self.assertGreater(ran, 10)

    def test_preset_defaults(self):
        p = torch.nn.Parameter(torch.zeros(3))
        mx = optim.torch.preset("mxnet.adamw", [p])
        self.assertEqual(mx.defaults["eps"], 1e-6)
        self.assertEqual(mx.defaults["decay_rate"], "effective")
        self.assertEqual(optim.torch.preset("brainpy.adamw", [p])
                         .defaults["weight_decay"], 1e-2)
        with self.assertRaisesRegex(ValueError, "unknown preset"):
            optim.torch.preset("sgd", [p])


class BadInput(TestCase):

    def snapshot(self, opt, params):
        return ([p.detach().clone() for p in params],
                {id(p): {k: v.clone() for k, v in opt.state[p].items()}
                 for p in params if p in opt.state})

    def assertUnchanged(self, opt, params, snap):
        values, states = snap
        for p, v in zip(params, values):
            self.assertTrue(torch.equal(p.detach(), v))
        for p in params:
            if id(p) in states:
                for k, v in states[id(p)].items():
                    self.assertTrue(torch.equal(opt.state[p][k], v), k)
            else:
                self.assertNotIn(p, opt.state)

    def test_parameter_listed_twice_is_named(self):
        # torch.optim warns of it when the group is added (and then steps
        # it twice); the step is refused naming both entries (not "buffers
        # overlap", nor a KeyError from undoing its state twice), and
        # nothing is written.
        q = torch.nn.Parameter(torch.ones(3))
        p = torch.nn.Parameter(torch.ones(10))
        with self.assertWarnsRegex(UserWarning, "duplicate parameters"):
            opt = optim.torch.AdamW([{"params": [q]}, {"params": [p, p]}],
                                    lr=1e-3)
        q.grad, p.grad = torch.ones(3), torch.ones(10)
        with self.assertRaisesRegex(ValueError, "parameter 1 of group 1 is "
                                    "parameter 0 of the group again: .*"
                                    "duplicate parameters"):
            opt.step()
        self.assertTrue(torch.equal(p.detach(), torch.ones(10)))
        self.assertTrue(torch.equal(q.detach(), torch.ones(3)))
        self.assertEqual(len(opt.state), 0)

    def stepped(self, cls=optim.torch.AdamW, n=3, **kw):
        params = [torch.nn.Parameter(torch.randn(4, 6)) for _ in range(n)]
        opt = cls(params, lr=1e-2, **kw)
        for p in params:
            p.grad = torch.randn(4, 6)
        opt.step()
        return params, opt

    def test_constructor(self):
        p = [torch.nn.Parameter(torch.zeros(2))]
        for kw, msg in ((dict(lr=-1.0), "learning rate"),
                        (dict(eps=-1.0), "epsilon"),
                        (dict(betas=(1.0, 0.9)), "beta"),
                        (dict(weight_decay=-1.0), "weight_decay"),
                        (dict(bias_correction="x"), "bias_correction"),
                        (dict(capturable=True), "capturable")):
            with self.assertRaisesRegex(ValueError, msg):
                optim.torch.AdamW(p, **kw)
        with self.assertRaisesRegex(ValueError, "decay_rate"):
            optim.torch.Adam(p, decay_rate="effective")

    def test_non_contiguous_param(self):
        # Every other column: gaps in memory (a transpose, which has none,
        # steps: test_channels_last_and_transposed_params).
        base = torch.randn(6, 8)
        p = torch.nn.Parameter(base[:, ::2])
        q = torch.nn.Parameter(torch.randn(3))
        opt = optim.torch.Adam([q, p])
        q.grad, p.grad = torch.randn(3), torch.randn(6, 4)
        snap = self.snapshot(opt, [q, p])
        before = base.clone()
        with self.assertRaisesRegex(ValueError, "parameter 1 of group 0: "
                                    "the parameter is not dense"):
            opt.step()
        self.assertUnchanged(opt, [q, p], snap)
        self.assertTrue(torch.equal(base, before))

    def test_nan_lr_in_second_group_changes_nothing(self):
        a = [torch.nn.Parameter(torch.randn(5)) for _ in range(2)]
        b = [torch.nn.Parameter(torch.randn(5))]
        opt = optim.torch.AdamW([{"params": a}, {"params": b}], lr=1e-2)
        for p in a + b:
            p.grad = torch.randn(5)
        opt.step()
        snap = self.snapshot(opt, a + b)
        opt.param_groups[1]["lr"] = float("nan")
        with self.assertRaisesRegex(optim.OptimError, "lr"):
            opt.step()
        self.assertUnchanged(opt, a + b, snap)
        opt.param_groups[1]["lr"] = 1e300  # not an f32
        with self.assertRaisesRegex(optim.OptimError, "lr"):
            opt.step()
        self.assertUnchanged(opt, a + b, snap)

    def test_mismatched_state(self):
        params, opt = self.stepped()
        snap = self.snapshot(opt, params)
        opt.state[params[1]]["exp_avg"] = torch.zeros(4, 6,
                                                      dtype=torch.float64)
        with self.assertRaisesRegex(ValueError, "exp_avg"):
            opt.step()
        opt.state[params[1]]["exp_avg"] = snap[1][id(params[1])]["exp_avg"]
        self.assertUnchanged(opt, params, snap)

    def test_swapped_storage_is_noticed(self):
        # p.data = ... moves the parameter: the table is rebuilt, not stale.
        a = torch.nn.Parameter(torch.randn(8, dtype=torch.float64))
        b = torch.nn.Parameter(a.detach().clone())
        oa = torch.optim.Adam([a], lr=0.1)
        ob = optim.torch.Adam([b], lr=0.1)
        for step in range(3):
            if step == 1:
                a.data = a.data.clone()
                b.data = b.data.clone()
            for p, o in ((a, oa), (b, ob)):
                p.grad = torch.ones_like(p) * (step + 1)
                o.step()
            self.assertClose(b, a, F64_TOL, f"step {step}")

    def test_param_changed_at_the_same_address(self):
        # p.data = ... (or a new gradient) at the old address: the table
        # is rebuilt for the new element count, dtype or layout, not run
        # with the old ones (past the end of a shrunk tensor's memory).
        n = 4096
        base = torch.ones(n)
        p = torch.nn.Parameter(base)
        g = torch.ones(n)
        opt = optim.torch.AdamW([p], lr=0.1)
        p.grad = g
        opt.step()
        stepped = base.clone()
        p.data = base[:n // 2]
        p.grad = g[:n // 2]  # both at their old addresses
        ref = torch.optim.AdamW([torch.nn.Parameter(torch.ones(n))])
        ref.param_groups[0]["params"][0].grad = torch.ones(n)
        ref.step()
        ref.param_groups[0]["params"][0].data = torch.ones(n // 2)
        ref.param_groups[0]["params"][0].grad = torch.ones(n // 2)
        with self.assertRaises(RuntimeError):  # torch: the state's size
            ref.step()
        with self.assertRaisesRegex(ValueError, r"'exp_avg' is torch.float32 "
                                    r"\(4096,\).*expected torch.float32 "
                                    r"\(2048,\)"):
            opt.step()
        self.assertTrue(torch.equal(base, stepped))
        self.assertEqual(float(opt.state[p]["step"]), 1)
        # Retyped in place (bf16 bits read as f16): an f16 step, as a
        # fresh optimizer given the same state takes.
        torch.manual_seed(6)
        w = torch.nn.Parameter(torch.randn(64).to(torch.bfloat16))
        gw = torch.randn(64).to(torch.bfloat16)
        opt = optim.torch.AdamW([w], lr=1e-2)
        w.grad = gw
        opt.step()
        w.data = w.data.view(torch.float16)
        w.grad = gw.view(torch.float16)
        twin = torch.nn.Parameter(w.detach().clone())
        twin_opt = optim.torch.AdamW([twin], lr=1e-2)
        twin_opt.load_state_dict(opt.state_dict())
        twin.grad = w.grad.clone()
        opt.step()
        twin_opt.step()
        self.assertTrue(torch.equal(w.detach(), twin.detach()))
        # A gradient laid out otherwise at the same address: the step
        # reads it by index (from a copy), not in the old table's order.
        q = torch.nn.Parameter(torch.randn(4, 4))
        twin = torch.nn.Parameter(q.detach().clone())
        gq = torch.randn(4, 4)
        opt = optim.torch.AdamW([q], lr=0.1)
        ref = torch.optim.AdamW([twin], lr=0.1)
        q.grad, twin.grad = gq, gq.clone()
        opt.step()
        ref.step()
        q.grad, twin.grad = gq.t(), gq.t().clone()
        self.assertEqual(q.grad.data_ptr(), gq.data_ptr())
        opt.step()
        ref.step()
        self.assertClose(q, twin, F32_TOL, "transposed at the same address")
        # Non-contiguous layouts compare by strides: a parameter permuted
        # otherwise over the same memory no longer matches its moments.
        base = torch.randn(2, 3, 4)
        r = torch.nn.Parameter(base.permute(2, 1, 0))
        opt = optim.torch.AdamW([r], lr=0.1)
        r.grad = torch.randn(2, 3, 4).permute(2, 1, 0)
        opt.step()
        r.data = base.as_strided((4, 3, 2), (1, 8, 4))
        r.grad = torch.empty_like(r).normal_()  # in r's new layout
        self.assertEqual(r.data_ptr(), base.data_ptr())
        self.assertEqual(r.grad.stride(), (1, 8, 4))
        snap = self.snapshot(opt, [r])
        with self.assertRaisesRegex(ValueError, "'exp_avg' .* laid out as "
                                    "the parameter"):
            opt.step()
        self.assertUnchanged(opt, [r], snap)

    def test_replaced_param_object_starts_fresh(self):
        # Another Parameter over the same memory in a group's list: its
        # state is its own (none yet), as in torch.optim, not the old
        # parameter's.
        torch.manual_seed(3)
        a = [torch.nn.Parameter(torch.randn(5, 4, dtype=torch.float64))
             for _ in range(2)]
        b = [torch.nn.Parameter(p.detach().clone()) for p in a]
        oa = torch.optim.AdamW(a, lr=0.1)
        ob = optim.torch.AdamW(b, lr=0.1)
        for step in range(4):
            if step == 2:
                for opt, ps in ((oa, a), (ob, b)):
                    new = torch.nn.Parameter(ps[0].data)
                    self.assertEqual(new.data_ptr(), ps[0].data_ptr())
                    opt.param_groups[0]["params"][0] = new
                    ps[0] = new
            for p, q in zip(a, b):
                p.grad = torch.randn(5, 4, dtype=torch.float64)
                q.grad = p.grad.clone()
            oa.step()
            ob.step()
            for p, q in zip(a, b):
                self.assertClose(q, p, F64_TOL, f"step {step + 1}")
        self.assertEqual(float(ob.state[b[0]]["step"]), 2)
        self.assertEqual(float(ob.state[b[1]]["step"]), 4)
        self.assertClose(ob.state[b[0]]["exp_avg"], oa.state[a[0]]["exp_avg"],
                         F64_TOL, "exp_avg")

    def test_unsupported(self):
        p = torch.nn.Parameter(torch.randn(3, dtype=torch.complex64))
        opt = optim.torch.Adam([p])
        p.grad = torch.randn(3, dtype=torch.complex64)
        with self.assertRaisesRegex(TypeError, "complex64"):
            opt.step()
        self.assertNotIn(p, opt.state)
        e = torch.nn.Embedding(10, 3, sparse=True)
        opt = optim.torch.Adam(e.parameters())
        e(torch.tensor([1, 2])).sum().backward()
        with self.assertRaisesRegex(RuntimeError, "parameter 0 of group 0: "
                                    "Adam does not support sparse "
                                    "gradients"):
            opt.step()
        # After dense steps too (a cached table, which reads the gradients'
        # addresses: a sparse one has no storage), as torch says it.
        e = torch.nn.Embedding(10, 3)
        opt = optim.torch.AdamW(e.parameters())
        e(torch.tensor([1, 2])).sum().backward()
        opt.step()
        e.weight.grad = e.weight.grad.to_sparse()
        snap = self.snapshot(opt, [e.weight])
        with self.assertRaisesRegex(RuntimeError, "parameter 0 of group 0: "
                                    "AdamW does not support sparse "
                                    "gradients"):
            opt.step()
        self.assertUnchanged(opt, [e.weight], snap)
        e.weight.grad = e.weight.grad.to_dense()
        opt.step()
        self.assertEqual(float(opt.state[e.weight]["step"]), 2)

    def test_overlapping_params(self):
        base = torch.randn(10)
        p = torch.nn.Parameter(base[:6])
        q = torch.nn.Parameter(base[4:])
        p.grad, q.grad = torch.randn(6), torch.randn(6)
        before = base.clone()
        opt = optim.torch.Adam([p, q])
        with self.assertRaisesRegex(optim.OptimError, "overlap"):
            opt.step()
        self.assertTrue(torch.equal(base, before))
        self.assertEqual(len(opt.state), 0)
        # In two groups they are two calls, checked against each other.
        opt = optim.torch.Adam([{"params": [p]}, {"params": [q]}])
        with self.assertRaisesRegex(ValueError, "overlap"):
            opt.step()
        self.assertTrue(torch.equal(base, before))
        self.assertEqual(len(opt.state), 0)

    def test_rejected_second_group_creates_no_state(self):
        a = torch.nn.Parameter(torch.randn(5))
        b = torch.nn.Parameter(torch.randn(4, 12)[:, ::2])  # not dense
        opt = optim.torch.AdamW([{"params": [a]}, {"params": [b]}])
        a.grad, b.grad = torch.randn(5), torch.randn(4, 6)
        snap = self.snapshot(opt, [a, b])
        with self.assertRaisesRegex(ValueError, "parameter 0 of group 1: "
                                    "the parameter is not dense"):
            opt.step()
        self.assertUnchanged(opt, [a, b], snap)
        self.assertEqual(len(opt.state), 0)
        b.data = torch.randn(4, 6)
        b.grad = torch.randn(4, 6)
        opt.step()
        self.assertEqual(float(opt.state[a]["step"]), 1)

    def test_narrow_moments_in_several_calls(self):
        # A group whose tensors are at different step counts is two calls;
        # their buffers are checked against each other at the moments' own
        # sizes (2 bytes, 1 byte and the absmaxes), not at 4 bytes.
        for moment_dtype in (torch.bfloat16, torch.uint8):
            a = torch.nn.Parameter(torch.randn(5000))
            b = torch.nn.Parameter(torch.randn(5000))
            opt = optim.torch.AdamW([a, b], lr=1e-3,
                                    moment_dtype=moment_dtype)
            a.grad = torch.randn(5000)
            opt.step()
            a.grad, b.grad = torch.randn(5000), torch.randn(5000)
            before = b.detach().clone()
            opt.step()
            self.assertEqual(float(opt.state[a]["step"]), 2)
            self.assertEqual(float(opt.state[b]["step"]), 1)
            self.assertFalse(torch.equal(b.detach(), before))


class StateEdits(TestCase):
    """Changes to ``opt.state`` between steps act as in torch.optim: the
    next step reads the state as it is then (the cached pointer table is
    rebuilt), never tensors the state no longer holds."""

    def run_both(self, edit, dtype=torch.float64, steps=4):
        torch.manual_seed(3)
        a = torch.nn.Parameter(torch.randn(300, dtype=dtype))
        b = torch.nn.Parameter(a.detach().clone())
        oa = torch.optim.AdamW([a], lr=1e-2)
        ob = optim.torch.AdamW([b], lr=1e-2)
        for step in range(steps):
            if step == 2:
                edit(oa, a)
                edit(ob, b)
            g = torch.randn(300, dtype=dtype)
            a.grad, b.grad = g.clone(), g.clone()
            oa.step()
            ob.step()
            self.assertClose(b, a, F64_TOL, f"step {step + 1}")
            for key in ("exp_avg", "exp_avg_sq"):
                self.assertClose(ob.state[b][key], oa.state[a][key], F64_TOL,
                                 f"{key} at step {step + 1}")
            self.assertEqual(float(ob.state[b]["step"]),
                             float(oa.state[a]["step"]))
        return ob

    def test_cleared_state_restarts(self):
        ob = self.run_both(lambda opt, p: opt.state.clear())
        self.assertEqual(len(ob.state), 1)

    def test_removed_state_restarts(self):
        def edit(opt, p):
            del opt.state[p]
        self.run_both(edit)

    def test_replaced_tensors_are_used(self):
        def edit(opt, p):
            opt.state[p]["exp_avg"] = torch.zeros_like(p)
            opt.state[p]["exp_avg_sq"] = torch.full_like(p, 0.5)
            opt.state[p]["step"] = torch.tensor(0.0)
        self.run_both(edit)

    def test_replaced_state_dict_is_used(self):
        def edit(opt, p):
            opt.state[p] = {"step": torch.tensor(10.0),
                            "exp_avg": torch.ones_like(p),
                            "exp_avg_sq": torch.ones_like(p)}
        self.run_both(edit)

    def test_new_state_container_is_used(self):
        def edit(opt, p):
            opt.state = collections.defaultdict(dict)
        self.run_both(edit)

    def test_in_place_edits_need_no_rebuild(self):
        def edit(opt, p):
            opt.state[p]["exp_avg"].mul_(0.5)
        self.run_both(edit)

    def test_step_count_reset_in_place(self):
        def edit(opt, p):
            opt.state[p]["step"].zero_()
        self.run_both(edit)

    def test_merged_state(self):
        def edit(opt, p):
            opt.state |= {p: {"step": torch.tensor(0.0),
                              "exp_avg": torch.zeros_like(p),
                              "exp_avg_sq": torch.zeros_like(p)}}
        self.run_both(edit)

    def test_other_values_and_copies(self):
        # Values torch.optim allows in its state (not a parameter's dict)
        # are kept as they are; copies are torch's plain containers.
        def edit(opt, p):
            opt.state["global_step"] = 5
        ob = self.run_both(edit)
        self.assertEqual(ob.state["global_step"], 5)
        plain = copy.copy(ob.state)
        self.assertIs(type(plain), collections.defaultdict)
        self.assertEqual(plain["global_step"], 5)

    def test_pickle_and_deepcopy(self):
        torch.manual_seed(4)
        p = torch.nn.Parameter(torch.randn(64))
        opt = optim.torch.AdamW([p], lr=1e-2)
        p.grad = torch.randn(64)
        opt.step()
        for clone in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
            q = clone.param_groups[0]["params"][0]
            self.assertTrue(torch.equal(q, p))
            self.assertIsNot(clone.state[q]["exp_avg"],
                             opt.state[p]["exp_avg"])
            q.grad = p.grad.clone()
            clone.step()
            self.assertEqual(float(clone.state[q]["step"]), 2)
        self.assertEqual(float(opt.state[p]["step"]), 1)
        # A deep copy builds its own tables and shares the compiler (which
        # owns a C handle and is never copied); with its model, it steps
        # the model's copy.
        compiler = optim.Compiler(1)
        model = torch.nn.Linear(3, 2)
        opt = optim.torch.AdamW(model.parameters(), compiler=compiler)
        model(torch.ones(3)).sum().backward()
        opt.step()
        model2, opt2 = copy.deepcopy((model, opt))
        self.assertIs(opt2._compiler, compiler)
        self.assertEqual(opt2._plans, [])
        self.assertIs(opt2.param_groups[0]["params"][0], model2.weight)
        before = model.weight.detach().clone()
        model2(torch.ones(3)).sum().backward()
        opt2.step()
        self.assertTrue(torch.equal(model.weight.detach(), before))
        self.assertFalse(torch.equal(model2.weight.detach(), before))
        self.assertEqual(float(opt2.state[model2.weight]["step"]), 2)
        self.assertEqual(float(opt.state[model.weight]["step"]), 1)
        with self.assertRaisesRegex(TypeError, "owns a C handle"):
            copy.deepcopy(compiler)


class Extensions(TestCase):
    """optim's options beyond torch's: max_grad_norm (clip_grad_norm_ fused
    into the step) and moment_dtype=torch.bfloat16 or torch.uint8."""

    def test_max_grad_norm_is_clip_grad_norm_then_step(self):
        # Two groups, one norm over both, as clip_grad_norm_(all params).
        a, b = make_model(torch.float64), make_model(torch.float64)
        oa = torch.optim.AdamW(groups_of(a, 0.1), lr=1e-2)
        ob = optim.torch.AdamW(groups_of(b, 0.1), lr=1e-2, max_grad_norm=0.5)
        self.assertIsNone(ob.last_grad_norm)
        clipped = 0
        for step, (x, y) in enumerate(batches(torch.float64, 8)):
            for model in (a, b):
                model.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
            norm = torch.nn.utils.clip_grad_norm_(a.parameters(), 0.5)
            oa.step()
            ob.step()
            clipped += norm.item() > 0.5
            self.assertAlmostEqual(ob.last_grad_norm, norm.item(),
                                   delta=1e-12 * norm.item())
            self.assertModelsClose(a, b, F64_TOL, f"step {step + 1}")
        self.assertGreater(clipped, 0)

    def test_bf16_moments_track_f32_moments(self):
        a, b = make_model(), make_model()
        oa = optim.torch.AdamW(a.parameters(), lr=1e-2)
        ob = optim.torch.AdamW(b.parameters(), lr=1e-2,
                               moment_dtype=torch.bfloat16)
        for x, y in batches(torch.float32, 10):
            for model, opt in ((a, oa), (b, ob)):
                train_step(model, opt, x, y)
        state = ob.state[next(b.parameters())]
        self.assertEqual(state["exp_avg"].dtype, torch.bfloat16)
        self.assertEqual(state["exp_avg_sq"].dtype, torch.bfloat16)
        # 10 steps of at most lr each: within 2% of that travel.
        for pa, pb in zip(a.parameters(), b.parameters()):
            self.assertLess((pa - pb).abs().max().item(), 10 * 1e-2 * 2e-2)
        # The checkpoint keeps bf16 moments and round-trips exactly.
        c = make_model()
        c.load_state_dict(b.state_dict())
        oc = optim.torch.AdamW(c.parameters(), lr=1e-2,
                               moment_dtype=torch.bfloat16)
        oc.load_state_dict(ob.state_dict())
        for x, y in batches(torch.float32, 2, seed=7):
            for model, opt in ((b, ob), (c, oc)):
                train_step(model, opt, x, y)
        for pb, pc in zip(b.parameters(), c.parameters()):
            self.assertTrue(torch.equal(pb, pc))

    def test_8bit_moments_track_f32_moments(self):
        def wide(seed=0):
            # The 144x64 weight (9216 elements) is coded, the rest is not.
            torch.manual_seed(seed)
            return torch.nn.Sequential(
                torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                torch.nn.Linear(4 * 6 * 6, 64), torch.nn.ReLU(),
                torch.nn.Linear(64, 5))
        a, b = wide(), wide()
        oa = torch.optim.AdamW(a.parameters(), lr=1e-2)
        ob = optim.torch.AdamW(b.parameters(), lr=1e-2,
                               moment_dtype=torch.uint8)
        for x, y in batches(torch.float32, 10):
            for model, opt in ((a, oa), (b, ob)):
                train_step(model, opt, x, y)
        weight = b[3].weight
        state = ob.state[weight]
        self.assertEqual(state["exp_avg"].dtype, torch.uint8)
        self.assertEqual(state["exp_avg_sq"].dtype, torch.uint8)
        self.assertEqual(state["exp_avg_absmax"].shape, (9216 // 256,))
        self.assertGreater(state["exp_avg_absmax"].min().item(), 0)
        self.assertEqual(ob.state[b[3].bias]["exp_avg"].dtype, torch.float32)
        self.assertNotIn("exp_avg_absmax", ob.state[b[3].bias])
        # Against torch's f32-state run: the median element within 5% of
        # the median distance travelled. A few elements of the coded weight
        # run away: where a dead ReLU unit's gradient is 0, an exp_avg_sq
        # below 1.6e-7 of its block's absmax has code 0 while its exp_avg
        # does not, and the step divides by eps alone (bitsandbytes' scheme
        # does the same; generate_golden.py's float64 reference too).
        start = wide()
        for pa, pb, p0 in zip(a.parameters(), b.parameters(),
                              start.parameters()):
            travel = (pa - p0).abs().median().item()
            self.assertLess((pa - pb).abs().median().item(), 0.05 * travel)
        runaway = ((b[3].weight - start[3].weight).abs() > 10 * 1e-2 * 2)
        self.assertLess(int(runaway.sum()), weight.numel() // 1000)
        self.assertGreater((a[3].weight - start[3].weight).abs().mean(),
                           1e-3)
        # The checkpoint holds codes and absmaxes, and round-trips exactly
        # into an optimizer with the same option (only).
        c = wide()
        c.load_state_dict(b.state_dict())
        oc = optim.torch.AdamW(c.parameters(), lr=1e-2,
                               moment_dtype=torch.uint8)
        oc.load_state_dict(ob.state_dict())
        for x, y in batches(torch.float32, 2, seed=7):
            for model, opt in ((b, ob), (c, oc)):
                train_step(model, opt, x, y)
        for pb, pc in zip(b.parameters(), c.parameters()):
            self.assertTrue(torch.equal(pb, pc))
        # Codes under a group that does not ask for them are refused.
        edited = ob.state_dict()
        edited["param_groups"][0]["moment_dtype"] = None
        plain = optim.torch.AdamW(wide().parameters(), lr=1e-2)
        with self.assertRaisesRegex(ValueError, "8-bit codes load only"):
            plain.load_state_dict(edited)
        self.assertEqual(len(plain.state), 0)
        with self.assertRaisesRegex(ValueError, "amsgrad"):
            optim.torch.AdamW(c.parameters(), amsgrad=True,
                              moment_dtype=torch.uint8)
        # Absmaxes that no step writes are refused, and so is an unknown
        # moment dtype.
        for name, value in (("exp_avg_absmax", float("nan")),
                            ("exp_avg_sq_absmax", -1.0)):
            edited = ob.state_dict()
            # The checkpoint's tensors are the live state's: edit a copy.
            edited["state"][2][name] = edited["state"][2][name].clone()
            edited["state"][2][name][3] = value
            with self.assertRaisesRegex(ValueError, name):
                oc.load_state_dict(edited)
        edited = ob.state_dict()
        edited["param_groups"][0]["moment_dtype"] = torch.int8
        with self.assertRaisesRegex(ValueError, "group 0: moment_dtype"):
            oc.load_state_dict(edited)
        edited = ob.state_dict()
        edited["param_groups"][0]["bias_correction"] = "bogus"
        with self.assertRaisesRegex(ValueError, "group 0: bias_correction"):
            oc.load_state_dict(edited)
        oc.step()  # still the state it had

    def test_torch_checkpoint_into_narrow_moments(self):
        # torch's checkpoint has no moment_dtype: the optimizer's own
        # applies, so float moments become bf16 on load, and 8-bit codes
        # (which are not re-coded from floats) are refused up front.
        torch.manual_seed(5)
        w = torch.nn.Parameter(torch.randn(5000))
        ref = torch.optim.AdamW([w], lr=1e-2)
        w.grad = torch.randn(5000)
        ref.step()
        saved = ref.state_dict()
        ours = optim.torch.AdamW([w], lr=1e-2, moment_dtype=torch.bfloat16)
        ours.load_state_dict(saved)
        self.assertEqual(ours.state[w]["exp_avg"].dtype, torch.bfloat16)
        ours.step()
        self.assertEqual(float(ours.state[w]["step"]), 2)
        coded = optim.torch.AdamW([w], lr=1e-2, moment_dtype=torch.uint8)
        with self.assertRaisesRegex(ValueError, "not re-coded"):
            coded.load_state_dict(saved)
        self.assertEqual(len(coded.state), 0)

    def test_stochastic_rounding_moves_bf16_where_nearest_stalls(self):
        # lr 1e-3 on weights at 1.0 (half a bf16 ulp there is 2^-9): a
        # constant gradient moves the f32 run by about lr per step, the
        # nearest-rounded bf16 run not at all, the stochastic one with it.
        def run(dtype, **options):
            w = torch.nn.Parameter(torch.ones(4096, dtype=dtype))
            opt = optim.torch.AdamW([w], lr=1e-3, weight_decay=0.0,
                                    **options)
            for _ in range(100):
                w.grad = torch.ones_like(w)
                opt.step()
            return w.detach()
        wide = run(torch.float32).double().mean().item()
        nearest = run(torch.bfloat16)
        rounded = run(torch.bfloat16, stochastic_rounding=1234)
        self.assertTrue(torch.equal(nearest, torch.ones_like(nearest)))
        travel = 1.0 - wide
        self.assertGreater(travel, 0.09)
        self.assertLess(abs(rounded.double().mean().item() - wide),
                        0.02 * travel)
        # The same seed repeats every bit, another seed draws others.
        self.assertTrue(torch.equal(
            rounded, run(torch.bfloat16, stochastic_rounding=1234)))
        self.assertFalse(torch.equal(
            rounded, run(torch.bfloat16, stochastic_rounding=1235)))
        # Other dtypes in such a group round as usual: f32 is unchanged.
        self.assertEqual(
            run(torch.float32, stochastic_rounding=7).double().mean().item(),
            wide)
        # Two equal tensors of one step draw from different streams.
        a = torch.nn.Parameter(torch.ones(4096, dtype=torch.bfloat16))
        b = torch.nn.Parameter(torch.ones(4096, dtype=torch.bfloat16))
        opt = optim.torch.AdamW([a, b], lr=1e-3, weight_decay=0.0,
                                stochastic_rounding=5)
        for _ in range(10):
            a.grad, b.grad = torch.ones_like(a), torch.ones_like(b)
            opt.step()
        self.assertFalse(torch.equal(a, b))
        for bad in (-1, 2**64, 1.5, True, "7"):
            with self.assertRaisesRegex(ValueError, "stochastic_rounding"):
                optim.torch.AdamW([a], stochastic_rounding=bad)

    def test_bad_extension_options(self):
        model = make_model()
        with self.assertRaisesRegex(ValueError, "max_grad_norm"):
            optim.torch.AdamW(model.parameters(), max_grad_norm=-1.0)
        with self.assertRaisesRegex(ValueError, "moment_dtype"):
            optim.torch.AdamW(model.parameters(), moment_dtype=torch.float16)
        # An f64 step computes in f64: said when the optimizer is made.
        m64 = make_model(torch.float64)
        with self.assertRaisesRegex(optim.OptimError,
                                    "bf16 moments need a step"):
            optim.torch.AdamW(m64.parameters(), moment_dtype=torch.bfloat16)


class Capi(TestCase):

    def test_compiler_and_step(self):
        c = optim.Compiler(1)
        self.assertEqual(c.num_threads, 1)
        config = optim.preset_config("torch.adamw")
        step = c.get_step(config)
        self.assertIs(step, c.get_step(config))
        w = torch.ones(10)
        g, m, v = torch.full((10,), 0.5), torch.zeros(10), torch.zeros(10)
        buffers = (optim.ParamBuffers * 1)()
        buffers[0].param, buffers[0].grad = w.data_ptr(), g.data_ptr()
        buffers[0].expAvg, buffers[0].expAvgSq = m.data_ptr(), v.data_ptr()
        buffers[0].numElements = 10
        s = optim.preset_scalars("torch.adamw")
        step.run(buffers, 1, s)
        self.assertLess(w[0].item(), 1.0)
        s.eps = -1.0
        w0 = w.clone()
        with self.assertRaisesRegex(optim.OptimError, "eps"):
            step.run(buffers, 1, s)
        self.assertTrue(torch.equal(w, w0))
        bad = optim.preset_config("torch.adamw")
        bad.paramType = 9
        with self.assertRaisesRegex(optim.OptimError, "paramType"):
            c.get_step(bad)
        with self.assertRaisesRegex(ValueError, "num_threads"):
            optim.Compiler(-1)

    def one_tensor(self):
        """A step and the buffers of one 10-element tensor (w, g, m, v)."""
        c = optim.Compiler(1)
        step = c.get_step(optim.preset_config("torch.adamw"))
        tensors = (torch.ones(10), torch.full((10,), 0.5), torch.zeros(10),
                   torch.zeros(10))
        buffers = (optim.ParamBuffers * 1)()
        b = buffers[0]
        b.param, b.grad, b.expAvg, b.expAvgSq = map(torch.Tensor.data_ptr,
                                                    tensors)
        b.numElements = 10
        return step, buffers, tensors

    def test_handles_are_not_copied(self):
        # A copy or a pickle of a Compiler or a Step would own its C handle
        # too (released twice: a double free).
        c = optim.Compiler(1)
        step = c.get_step(optim.preset_config("torch.adamw"))
        for obj in (c, step):
            for copier in (copy.copy, copy.deepcopy, pickle.dumps,
                           lambda o: pickle.dumps(o, protocol=0)):
                with self.assertRaisesRegex(TypeError, "owns a C handle"):
                    copier(obj)
        # Objects whose __init__ did not run, or failed, own nothing.
        for cls in (optim.Step, optim.Compiler):
            cls.__new__(cls).__del__()
        optim.Step(None, None).__del__()
        # The originals still work.
        step, buffers, (w, *_) = self.one_tensor()
        step.run(buffers, 1, optim.preset_scalars("torch.adamw"))
        self.assertLess(w[0].item(), 1.0)

    def test_step_config_keeps_its_gpu_chip(self):
        # The step's copy of the configuration holds its own gpuChip bytes,
        # not a pointer into the caller's (freed with the caller's config).
        c = optim.Compiler(1)
        config = optim.preset_config("torch.adamw")
        chip = ("sm_" + "9" * 40).encode()  # made now: not shared
        config.gpuChip = chip  # a CPU step ignores it
        step = c.get_step(config)
        self.assertEqual(step.config.gpuChip, chip)

        def address(s):
            return ctypes.c_void_p.from_buffer(
                s, optim.StepConfig.gpuChip.offset).value

        self.assertNotEqual(address(step.config), address(config))
        del config, chip
        junk = [("x" * 43).encode() for _ in range(1000)]
        self.assertEqual(step.config.gpuChip, b"sm_" + b"9" * 40)
        del junk

    def test_run_checks_its_buffers(self):
        step, buffers, (w, *_) = self.one_tensor()
        s = optim.preset_scalars("torch.adamw")
        # A one-element array over two: the second is null (an unchecked
        # count of 2 would read it, and fail in C instead).
        backing = (optim.ParamBuffers * 2)(buffers[0])
        short = (optim.ParamBuffers * 1).from_buffer(backing)
        before = w.clone()
        for buf, count, error, msg in (
                (short, 2, ValueError, "exceeds the 1 ParamBuffers"),
                (short[0], 2, ValueError, "exceeds the one ParamBuffers"),
                (short, -1, ValueError, ">= 0"),
                (short, 2**63, OverflowError, "2\\*\\*63"),
                (short, True, TypeError, "count must be an integer"),
                (short, 1.0, TypeError, "count must be an integer"),
                (None, 1, ValueError, "no buffers"),
                ((ctypes.c_int64 * 9)(), 1, TypeError,
                 "array of ParamBuffers"),
                ([buffers[0]], 1, TypeError, "buffers must be"),
                (ctypes.pointer(buffers[0]), 1, TypeError,
                 "buffers must be")):
            with self.assertRaisesRegex(error, msg):
                step.run(buf, count, s)
            with self.assertRaisesRegex(error, msg):
                step.grad_squared_norm(buf, count, s)
        with self.assertRaisesRegex(TypeError, "StepScalars"):
            step.run(short, 1, optim.StepConfig())
        self.assertTrue(torch.equal(w, before))
        # An array, one ParamBuffers, a raw address (the caller's word for
        # what lies there), or nothing.
        for buf in (short, short[0], ctypes.addressof(short)):
            before = w.clone()
            step.run(buf, 1, s)
            self.assertFalse(torch.equal(w, before))
        step.run(None, 0, s)
        step.run(short, 0, s)

    def test_struct_fields_are_checked(self):
        # ctypes would wrap an int out of the field's range (2**32 + 3 as
        # 3) and take a bool or anything with __float__ as a number.
        for cls, name, value, error in (
                (optim.StepConfig, "paramType", 2**32 + 3, OverflowError),
                (optim.StepConfig, "vectorSize", -2**31 - 1, OverflowError),
                (optim.StepConfig, "target", True, TypeError),
                (optim.StepConfig, "momentStorage", 1.0, TypeError),
                (optim.StepConfig, "gpuChip", "sm_90", TypeError),
                (optim.StepConfig, "gpuChip", 4096, TypeError),
                (optim.StepScalars, "step", 2**63, OverflowError),
                (optim.StepScalars, "step", True, TypeError),
                (optim.StepScalars, "roundingSeed", -1, OverflowError),
                (optim.StepScalars, "roundingSeed", 2**64, OverflowError),
                (optim.StepScalars, "lr", "0.1", TypeError),
                (optim.StepScalars, "eps", True, TypeError),
                (optim.StepScalars, "lr", 1j, TypeError)):
            what = f"{cls.__name__}.{name} = {value!r}"
            obj = cls()
            with self.assertRaisesRegex(error, name, msg=what):
                setattr(obj, name, value)
            self.assertFalse(getattr(obj, name), what)  # unchanged
            with self.assertRaisesRegex(error, name, msg=what):
                cls(**{name: value})
        with self.assertRaises(OverflowError):
            optim.StepConfig(2**32)  # positional: biasCorrection
        # In range, and bools for the flags.
        config = optim.StepConfig(1, 2, amsgrad=True, vectorSize=8,
                                  gpuChip=b"sm_90")
        self.assertEqual((config.biasCorrection, config.weightDecay,
                          config.amsgrad, config.vectorSize),
                         (1, 2, 1, 8))
        config.paramType = -2**31
        s = optim.StepScalars(0.5, step=2**63 - 1, roundingSeed=2**64 - 1)
        self.assertEqual((s.lr, s.step, s.roundingSeed),
                         (0.5, 2**63 - 1, 2**64 - 1))
        s.lr = 3  # an int is a real number
        self.assertEqual(s.lr, 3.0)
        # Structs made by C (by value) are checked when set too.
        with self.assertRaises(OverflowError):
            optim.preset_config("torch.adam").vectorSize = 2**31
        with self.assertRaises(OverflowError):
            optim.preset_scalars("torch.adam").step = -2**63 - 1

    def test_get_step_takes_a_step_config(self):
        c = optim.Compiler(1)
        for bad in (None, optim.StepScalars(), {"paramType": 2}):
            with self.assertRaisesRegex(TypeError, "StepConfig"):
                c.get_step(bad)
        with self.assertRaisesRegex(ValueError, "num_threads"):
            optim.Compiler(True)


@unittest.skipUnless(torch.cuda.is_available(), "no CUDA device")
class Cuda(TestCase):

    def test_adamw_cuda(self):
        a = make_model().cuda()
        b = make_model().cuda()
        oa = torch.optim.AdamW(a.parameters(), lr=1e-2)
        ob = optim.torch.AdamW(b.parameters(), lr=1e-2)
        for x, y in batches(torch.float32, 4):
            x, y = x.cuda(), y.cuda()
            for model, opt in ((a, oa), (b, ob)):
                train_step(model, opt, x, y)
            self.assertModelsClose(a, b, F32_TOL, "cuda")


if __name__ == "__main__":
    unittest.main()
