"""Reads an OpenStreetMap extract the district downloaded (.osm or .osm.pbf) into the walking network of a
region; progress is printed as the ways are read. The platform never downloads one itself."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from carecircle.planning.services import road_network_from_path, road_network_import_run
from carecircle.regions.models import Region


class Command(BaseCommand):
    help = ("Import an OpenStreetMap extract (.osm, .osm.gz, .osm.bz2 or .osm.pbf) as the walking network of a "
            "region (by its code); coverage there is then measured as a walk over the network.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="the extract on this server")
        parser.add_argument("--region", required=True, help="code of the district, street or community it serves")

    def handle(self, *args, path, region, **options):
        target = Region.objects.filter(code=region).first()
        if target is None:
            raise CommandError(f"no region with code {region}")
        try:
            network = road_network_from_path(path=path, region=target)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"reading {network.name} for {target.code}")
        try:
            result = road_network_import_run(network_id=network.pk, report=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"ready: {result['ways']} walkable ways, {result['nodes']} nodes, {result['edges']} edges, "
                          f"{result['length_km']} km")
