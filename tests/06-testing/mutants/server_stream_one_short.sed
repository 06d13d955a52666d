# my_service.c: ServerStream's loop stops one early: `value` asked, value-1
# responses sent (an off-by-one: < where <= belongs).
s/for (int32_t i = 1; i <= req->value; i++)/for (int32_t i = 1; i < req->value; i++)/
