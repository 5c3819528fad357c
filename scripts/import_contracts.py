"""An import-linter contract for CareCircle's apps (configured in pyproject.toml, run by `lint-imports`).

`app_boundaries`: every direct sub-package of the container is an app, except the kernel packages (which any
app may use: core, engines) and the project modules (settings, urls… which wire everything together). An app
may import another app only through that app's public modules (models, services, selectors, …); a
`services` or `selectors` that is a package counts as public with everything in it. Imports made by an app's
tests and migrations are not checked: a test builds whatever world it needs.

A new app needs no entry here: it is found because it is a package in the container.
"""
from __future__ import annotations

from importlinter import Contract, ContractCheck, fields, output


class AppBoundariesContract(Contract):
    type_name = "app_boundaries"

    container = fields.StringField()
    kernel = fields.ListField(subfield=fields.StringField())
    project = fields.ListField(subfield=fields.StringField(), required=False, default=[])
    public = fields.ListField(subfield=fields.StringField())
    unchecked = fields.ListField(subfield=fields.StringField(), required=False, default=["tests", "migrations"])

    def _app_of(self, module: str, apps: set[str]) -> str | None:
        parts = module.split(".")
        if len(parts) < 2 or parts[0] != self.container:
            return None
        return parts[1] if parts[1] in apps else None

    def check(self, graph, verbose: bool) -> ContractCheck:
        children = {module.split(".")[1] for module in graph.modules
                    if module.startswith(self.container + ".") and module.count(".") >= 1}
        packages = {name for name in children
                    if any(m.startswith(f"{self.container}.{name}.") for m in graph.modules)}
        apps = packages - set(self.kernel) - set(self.project)
        output.verbose_print(verbose, f"apps: {', '.join(sorted(apps))}")
        illegal = []
        for importer in sorted(graph.modules):
            importer_app = self._app_of(importer, apps)
            if importer_app is None or set(importer.split(".")[2:3]) & set(self.unchecked):
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                imported_app = self._app_of(imported, apps)
                if imported_app is None or imported_app == importer_app:
                    continue
                parts = imported.split(".")
                if len(parts) == 2 or parts[2] in self.public:
                    continue
                lines = sorted({detail["line_number"] for detail in
                                graph.get_import_details(importer=importer, imported=imported)})
                illegal.append((importer, imported, lines))
        return ContractCheck(kept=not illegal, warnings=[], metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        output.print_error("Apps reach into each other's internals (allowed across apps: "
                           f"{', '.join(self.public)}):", bold=True)
        output.new_line()
        for importer, imported, lines in check.metadata["illegal"]:
            output.print_error(f"- {importer} -> {imported} (l.{', '.join(map(str, lines))})", bold=False)
        output.new_line()
