// observable: -0.33333333333333331*XII+-0.33333333333333331*IYI+0.33333333333333331*IIY
// 3-qubit QFT (q[0] most significant, final swap) of |011>; output is a product state, ideal (2 + 1/sqrt(2))/3.
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
x q[1];
x q[2];
h q[0];
cp(pi/2) q[1], q[0];
cp(pi/4) q[2], q[0];
h q[1];
cp(pi/2) q[2], q[1];
h q[2];
swap q[0], q[2];
