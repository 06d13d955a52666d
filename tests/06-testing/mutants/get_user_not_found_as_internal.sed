# user_service.c: GetUser has no branch for USER_NOT_FOUND, so an unknown
# user falls into the generic error path and is answered INTERNAL "internal
# error" instead of NOT_FOUND (Go: forgetting the errors.Is case).
/if (r == USER_NOT_FOUND)/,/req->user_id);/d
