# user_service.c: GetUser puts the repository's own error text (host names,
# queries...) into the INTERNAL status message the client receives.
s/GRPC_STATUS_INTERNAL, "internal error");/GRPC_STATUS_INTERNAL, "internal error: %s", why);/
