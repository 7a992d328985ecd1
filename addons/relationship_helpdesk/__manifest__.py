{
    "name": "Relationships - Helpdesk",
    "summary": "A customer's helpdesk tickets (OCA helpdesk_mgmt) in its engagement: "
    "open and late tickets, reopenings and ratings; tickets turned into disputes",
    "version": "18.0.1.0.0",
    "category": "Sales/Relationships",
    "website": "https://github.com/relationship-erp/odoo-relationships",
    "author": "Relationship ERP contributors",
    "license": "AGPL-3",
    "installable": True,
    "auto_install": True,
    # relationship_brm: a ticket about money or goods becomes a dispute, and
    # its engagement hook is the one the tickets extend.
    "depends": ["relationship_brm", "helpdesk_mgmt"],
    "data": [
        "views/helpdesk_ticket_views.xml",
        "views/relationship_dispute_views.xml",
        "views/res_partner_views.xml",
    ],
}
