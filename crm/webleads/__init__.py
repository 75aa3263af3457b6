"""Web-to-lead: a site's contact form makes a lead with its source (UTM, referrer, analytics ids) in the CRM."""
