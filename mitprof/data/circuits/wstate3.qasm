// observable: 0.33333333333333331*ZII+0.33333333333333331*IZI+0.33333333333333331*IIZ
// 3-qubit W state (|100> + |010> + |001>)/sqrt(3) from ry and cx only; each <Z_i> = 1/3, ideal 1/3.
OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
// ry(2*acos(1/sqrt(3))): amplitude sqrt(2/3) on q[0]=1
ry(1.9106332362490186) q[0];
// controlled-ry(pi/2) from q[0] to q[1], as ry/cx
ry(pi/4) q[1];
cx q[0], q[1];
ry(-pi/4) q[1];
cx q[0], q[1];
cx q[1], q[2];
cx q[0], q[1];
x q[0];
