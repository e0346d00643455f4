"""What each instance of a local job runs in: its Python, variables, credentials, isolation.

The runner (:mod:`.runner`) decides when things happen; this module decides what an
instance's process looks like, from the request and this machine: the interpreter and
cached environment (:mod:`.venvs`, :mod:`.pythons`), the variables (:mod:`.environment`),
the credentials endpoint (:mod:`.credentials`) and namespaces or path mapping
(:mod:`.sandbox`). What was chosen is written to ``<job dir>/engine.json``, which
``describe_job`` reports, so a user can tell how a job ran.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ....script.layout import OPT_ML_ENV, REQUIREMENTS_INSTALLED_ENV
from ..caches.pythons import is_interpreter, wanted_version
from ..caches.seals import engine_key
from ..caches.venvs import envs_dir, instance_layer, shared_layer
from ..isolation import netns
from ..isolation.sandbox import (
    MARKER_ENV,
    NAMESPACES,
    NOT_ISOLATED,
    STATUS_FILE,
    SandboxView,
    become_subreaper,
    namespace_command,
    sandbox_view,
)
from ..opt_ml import bootstrap_options, container_relpath
from ..store import ENGINE_FILE, OPTIONS_FILE, read_json
from .container import local_command
from .credentials import NONE, aws_configured
from .environment import configured_region, job_environment


class JobEnvironment:
    """The environment of every instance of one job run (``run`` is the runner's JobRun)."""

    def __init__(self, run: Any, profile: str | None):
        self.run = run
        self.profile = profile
        self.submitter = dict(os.environ)
        self.options = read_json(run.job_dir / OPTIONS_FILE)
        self.endpoint: Any = None  # a CredentialsEndpoint when the job gets credentials
        self.bin_dirs: list[Path] = []
        self.requirements: str | None = None
        self.lease: Any = None  # the shared layer's lock, held while the job runs
        self.views: list[SandboxView] = []  # each instance's, in namespaces
        self.key = b""  # the engine's (:mod:`.seals`), known once prepared

    def prepare(self) -> None:
        """Build (or find) the cached environment and each instance's layer over it."""
        run = self.run
        if run.isolation.mode != NAMESPACES:
            become_subreaper()  # before any instance starts: its orphans become ours
        app = run.request["AppSpecification"]
        entrypoint = list(app.get("ContainerEntrypoint") or [])
        wanted = None
        if entrypoint and is_interpreter(entrypoint[0]):
            wanted, guess = wanted_version(entrypoint[0], app.get("ImageUri"))
            if guess:
                run.note_once(guess)
        options = bootstrap_options(entrypoint)
        self.requirements = options.requirements if options else None
        requirements = None
        if self.requirements:
            requirements = run.opt_ml_dirs[0] / container_relpath(self.requirements)
            if not requirements.is_file():
                requirements, self.requirements = None, None  # the bootstrap will say so
        envs = envs_dir(run.store.root)
        self.key = engine_key(run.store.root)
        layer, python, self.lease = shared_layer(
            envs, wanted, requirements, run.note_once, run.log, self.key
        )
        for host in run.hosts:
            self.bin_dirs.append(instance_layer(run.job_dir / host / "env", layer, python))
            (run.job_dir / host / "home").mkdir(exist_ok=True)
        credentials = NONE
        host_credentials = bool(self.options.get("HostCredentials"))
        if host_credentials or aws_configured(self.submitter, self.profile):
            from .credentials import CredentialsEndpoint, CredentialSource

            source = CredentialSource(
                self.profile, run.request.get("RoleArn"), run.name, host=host_credentials
            )
            self.endpoint = CredentialsEndpoint(source, run.note)
            credentials = source.kind
        sandbox: Any = NOT_ISOLATED
        if run.isolation.mode == NAMESPACES:
            self.views = [self._view(host, layer, python.path) for host in run.hosts]
            sandbox = self.views[0].described()
        engine = {
            "Isolation": run.isolation.mode,
            "IsolationReason": run.isolation.reason,
            "Sandbox": sandbox,
            "Python": python.version,
            "PythonPath": python.path,
            "PythonFoundBy": python.found_by,
            "Environment": str(layer),
            "Credentials": credentials,
        }
        (run.job_dir / ENGINE_FILE).write_text(json.dumps(engine, indent=2) + "\n")

    def _view(self, host: str, layer: Path, interpreter: str) -> SandboxView:
        """What instance ``host`` sees (:func:`.sandbox.sandbox_view`)."""
        import pwd  # here: only namespaces need the account's home

        homes = [self.submitter.get("HOME") or os.path.expanduser("~")]
        try:
            homes.append(pwd.getpwuid(os.getuid()).pw_dir)
        except KeyError:
            pass
        from ..caches.bytecode import GIVEN

        store = self.run.store.root
        return sandbox_view(
            homes=[h for h in homes if h],
            caches=[store, envs_dir(store)],
            instance_dir=self.run.job_dir / host,
            environment=layer,
            given=self.run.job_dir / GIVEN,
            interpreter=interpreter,
            network=not netns.isolated(self.run.request),
            credential_files=[
                self.submitter[name]
                for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE")
                if self.submitter.get(name)
            ],
        )

    def command(
        self, index: int, app: dict, compiled: dict[str, Path] | None = None
    ) -> tuple[list[str], dict[str, str]]:
        """The command and environment of instance ``index`` (0-based); ``compiled``: the
        engine scripts' cached pycs (see :func:`.sandbox.namespace_command`)."""
        run = self.run
        host, opt_ml = run.hosts[index], run.opt_ml_dirs[index]
        bin_dir = self.bin_dirs[index]
        entrypoint = list(app.get("ContainerEntrypoint") or [])
        arguments = list(app.get("ContainerArguments") or [])
        extra = dict(self.endpoint.environment()) if self.endpoint else {}
        if self.requirements:
            extra[REQUIREMENTS_INSTALLED_ENV] = self.requirements
        namespaces = run.isolation.mode == NAMESPACES
        if not namespaces:
            extra[OPT_ML_ENV] = str(opt_ml)
        env = job_environment(
            run.request,
            host=host,
            region=configured_region(self.submitter, self.profile),
            bin_dir=bin_dir,
            home=run.job_dir / host / "home",
            extra=extra,
            submitter=self.submitter,
        )
        python = str(bin_dir / "python")
        if not namespaces:
            command = local_command(entrypoint, arguments, opt_ml, python)
            return netns.wrap_command(run.request, command), env  # network isolation
        scratch = run.job_dir / host / ".opt"
        scratch.mkdir(exist_ok=True)
        command = namespace_command(
            run.isolation,
            local_command(entrypoint, arguments, None, python),
            opt_ml=opt_ml,
            scratch=scratch,
            hostname=host,
            status_file=run.job_dir / host / STATUS_FILE,
            network=not netns.isolated(run.request),
            compiled=compiled,
            view=self.views[index] if self.views else None,
        )
        env[MARKER_ENV] = str(opt_ml)
        return command, env

    def docker_env(self) -> dict[str, str]:
        """The docker CLI's own environment (the job's variables go in as ``-e``)."""
        return dict(self.submitter)

    def close(self) -> None:
        if self.endpoint is not None:
            self.endpoint.close()
        if self.lease is not None:
            self.lease.close()
