{
    "name": "Relationships - Credit Control",
    "summary": "Invoices under an open dispute stay out of OCA credit-control runs; "
    "the credit-control history in the engagement payment reasons",
    "version": "18.0.1.0.0",
    "category": "Sales/Relationships",
    "website": "https://github.com/relationship-erp/odoo-relationships",
    "author": "Relationship ERP contributors",
    "license": "AGPL-3",
    "installable": True,
    "auto_install": True,
    "depends": ["relationship_brm", "account_credit_control"],
    "data": [
        "views/credit_control_line_views.xml",
        "views/credit_control_run_views.xml",
    ],
}
