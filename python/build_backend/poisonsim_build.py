"""PEP 517 / PEP 660 build backend for the poisonsim Python package, standard library only.

Why not setuptools: pip builds a pyproject package in an isolated environment and installs the
backend's `requires` there first; `requires = ["setuptools"]` makes plain `pip install ./python`
download setuptools, which fails offline (and `--no-build-isolation` is a flag users forget).
A pure-Python package needs no compiler, so this backend writes the wheel itself: the files of
poisonsim/, the metadata from pyproject.toml's [project] table, and the version from the
project's CMakeLists.txt (one version for the simulator and the package), or from PKG-INFO when
built from an sdist. `pip install -e ./python` gets a wheel holding a .pth file that puts this
folder on sys.path (the source is imported in place).
"""
import base64
import hashlib
import io
import os
import re
import site
import sys
import tarfile
import zipfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # python/
PACKAGE = "poisonsim"
TAG = "py3-none-any"
# Fixed timestamps in the archives: the same source gives the same wheel.
EPOCH = (1980, 1, 1, 0, 0, 0)


class BuildError(Exception):
    pass


def _toml():
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib
        except ImportError:
            raise BuildError("reading pyproject.toml needs Python 3.11 (tomllib) "
                             "or tomli") from None
    with open(os.path.join(HERE, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def version():
    """`project(poisonsim VERSION x.y.z ...)` of ../CMakeLists.txt; in an sdist, its PKG-INFO."""
    cmake = os.path.join(os.path.dirname(HERE), "CMakeLists.txt")
    if os.path.isfile(cmake):
        with open(cmake, encoding="utf-8") as f:
            found = re.search(r"project\(\s*poisonsim\s+VERSION\s+([0-9][0-9.]*)", f.read())
        if not found:
            raise BuildError(f"{cmake}: no `project(poisonsim VERSION ...)` to take the "
                             "version from")
        return found.group(1)
    pkg_info = os.path.join(HERE, "PKG-INFO")
    if os.path.isfile(pkg_info):
        with open(pkg_info, encoding="utf-8") as f:
            found = re.search(r"^Version: (\S+)$", f.read(), re.MULTILINE)
        if found:
            return found.group(1)
    raise BuildError(f"no version: build from the poisonsim repository ({cmake} is missing) "
                     "or from its sdist")


def _visible_site_dirs():
    """The site-packages the installing interpreter imports from: a venv's own, and the base
    interpreter's when the venv was made with --system-site-packages (pip's isolated build
    environment hides them from sys.path, but not from the file system)."""
    dirs = list(site.getsitepackages())
    in_venv = sys.prefix != sys.base_prefix
    system = not in_venv
    if in_venv:
        cfg = os.path.join(sys.prefix, "pyvenv.cfg")
        if os.path.isfile(cfg):
            with open(cfg, encoding="utf-8") as f:
                system = re.search(r"^include-system-site-packages\s*=\s*true\s*$", f.read(),
                                   re.MULTILINE | re.IGNORECASE) is not None
    if system:
        dirs += site.getsitepackages([sys.base_prefix])
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


def h5py_requirement():
    """`h5py`, or the name the h5py the installer will see is installed under: Debian's
    python3-h5py is the distribution `h5py.-debian-h5py-serial` (-mpi), which does not satisfy
    `h5py`, so pip would try to download h5py (and fail offline) beside a working one."""
    names = []
    for directory in _visible_site_dirs():
        for entry in sorted(os.listdir(directory)):
            meta = os.path.join(directory, entry, "METADATA")
            if entry.lower().startswith("h5py") and entry.endswith(".dist-info") and \
                    os.path.isfile(meta):
                with open(meta, encoding="utf-8") as f:
                    found = re.search(r"^Name: (\S+)$", f.read(), re.MULTILINE)
                if found:
                    names.append(found.group(1))
    if not names or any(re.sub(r"[-_.]+", "-", n).lower() == "h5py" for n in names):
        return "h5py"
    return names[0]


def metadata():
    project = _toml().get("project", {})
    if project.get("name") != PACKAGE:
        raise BuildError("pyproject.toml: [project] name must be poisonsim")
    lines = ["Metadata-Version: 2.1", f"Name: {PACKAGE}", f"Version: {version()}",
             f"Summary: {project.get('description', '')}"]
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    for requirement in project.get("dependencies", []):
        if requirement == "h5py":
            requirement = h5py_requirement()
        lines.append(f"Requires-Dist: {requirement}")
    for extra, requirements in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f"Requires-Dist: {r}; extra == \"{extra}\"" for r in requirements]
    return "\n".join(lines) + "\n"


def _dist_info():
    return f"{PACKAGE}-{version()}.dist-info"


def _wheel_name():
    return f"{PACKAGE}-{version()}-{TAG}.whl"


def _package_files():
    """(archive name, path) of every .py file under poisonsim/, sorted."""
    files = []
    for root, dirs, names in os.walk(os.path.join(HERE, PACKAGE)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                files.append((os.path.relpath(path, HERE).replace(os.sep, "/"), path))
    if not files:
        raise BuildError(f"{HERE}/{PACKAGE}: no Python files to package")
    return files


def _dist_info_files():
    wheel = (f"Wheel-Version: 1.0\nGenerator: poisonsim_build\nRoot-Is-Purelib: true\n"
             f"Tag: {TAG}\n")
    info = _dist_info()
    return [(f"{info}/METADATA", metadata().encode()), (f"{info}/WHEEL", wheel.encode()),
            (f"{info}/top_level.txt", f"{PACKAGE}\n".encode())]


def _write_wheel(directory, contents):
    """A wheel of `contents` [(archive name, bytes)] plus the dist-info and its RECORD."""
    contents = contents + _dist_info_files()
    record = []
    for name, data in contents:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{_dist_info()}/RECORD,,")
    contents.append((f"{_dist_info()}/RECORD", ("\n".join(record) + "\n").encode()))
    path = os.path.join(directory, _wheel_name())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents:
            entry = zipfile.ZipInfo(name, EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return os.path.basename(path)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# PEP 517 hooks.

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = os.path.join(metadata_directory, _dist_info())
    os.makedirs(info, exist_ok=True)
    for name, data in _dist_info_files():
        with open(os.path.join(metadata_directory, name), "wb") as f:
            f.write(data)
    return _dist_info()


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, [(name, _read(path)) for name, path in _package_files()])


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """PEP 660: the package imported from this folder, through a .pth file."""
    return _write_wheel(wheel_directory, [(f"_{PACKAGE}_editable.pth", (HERE + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    """pyproject.toml, the backend, poisonsim/ and PKG-INFO (which then holds the version)."""
    base = f"{PACKAGE}-{version()}"
    files = [("pyproject.toml", os.path.join(HERE, "pyproject.toml")),
             ("build_backend/poisonsim_build.py", os.path.abspath(__file__))]
    files += _package_files()
    path = os.path.join(sdist_directory, base + ".tar.gz")
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as archive:
        for name, data in [(n, _read(p)) for n, p in files] + [("PKG-INFO", metadata().encode())]:
            entry = tarfile.TarInfo(f"{base}/{name}")
            entry.size, entry.mode, entry.mtime = len(data), 0o644, 315532800
            archive.addfile(entry, io.BytesIO(data))
    return os.path.basename(path)
