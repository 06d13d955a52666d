# notification_service.c: the loop stops one early: max_count asked (or the
# default five), one notification fewer sent, and the stream ends OK (an
# off-by-one: < where <= belongs).
s/for (int i = 1; i <= count; i++)/for (int i = 1; i < count; i++)/
