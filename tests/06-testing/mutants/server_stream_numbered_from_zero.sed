# my_service.c: ServerStream counts from 0: the right number of responses,
# "#0" to "#value-1" (a loop written `i = 0; i < value`, where the
# responses are numbered from 1).
s/for (int32_t i = 1; i <= req->value; i++)/for (int32_t i = 0; i < req->value; i++)/
