# The dashboard: the numbers a person may see, and where to start.

dashboard-title = Dashboard
dashboard-users = Users
dashboard-outlets = Outlets
dashboard-my-outlets = My outlets
dashboard-monitoring-note = Your role is read-only: it sees platform-wide numbers and no WhatsApp features.
# Around a link to the outlets page (its menu name, nav-outlets).
dashboard-outlets-hint-before = Add your branches under
dashboard-outlets-hint-after = ; each outlet has its own WhatsApp number.
