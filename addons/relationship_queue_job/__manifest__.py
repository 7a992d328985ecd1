{
    "name": "Relationships - Job Queue",
    "summary": "The nightly and on-demand relationship batches as OCA queue_job jobs: "
    "one per company on channels under root.relationship, the full engagement "
    "recompute and the analytics refresh of a company split in shards written "
    "in parallel",
    "version": "18.0.1.1.0",
    "category": "Sales/Relationships",
    "website": "https://github.com/relationship-erp/odoo-relationships",
    "author": "Relationship ERP contributors",
    "license": "LGPL-3",
    "installable": True,
    "auto_install": True,
    "depends": ["relationship_mgmt", "relationship_brm", "queue_job"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/queue_job_channel_data.xml",
        "data/queue_job_function_data.xml",
        "views/relationship_job_run_views.xml",
    ],
}
