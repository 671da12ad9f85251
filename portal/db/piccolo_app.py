from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="portal",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=table_finder(
        [
            "portal.db.tables",
            "portal.db.kb_tables",
            "portal.db.sla_tables",
            "portal.db.quality_tables",
            "portal.db.lead_tables",
        ],
        exclude_imported=True,
    ),
)
