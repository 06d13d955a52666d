# user_service.c: GetUser copies id, name and email but forgets the role:
# every user comes back ROLE_UNSPECIFIED.
/resp->role = rec.role;/d
