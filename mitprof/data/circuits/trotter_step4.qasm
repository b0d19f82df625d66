// observable: 0.25*ZIII+0.25*IZII+0.25*IIZI+0.25*IIIZ
// One first-order Trotter step of the 4-qubit TFIM (J=h=1, dt=0.1; same as family ising, n=4, depth=1); mean Z.
OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
// exp(-i J dt Z_a Z_b) on bonds (0,1), (2,3), then (1,2)
cx q[0], q[1];
rz(0.2) q[1];
cx q[0], q[1];
cx q[2], q[3];
rz(0.2) q[3];
cx q[2], q[3];
cx q[1], q[2];
rz(0.2) q[2];
cx q[1], q[2];
// exp(-i h dt X) on every qubit
rx(0.2) q[0];
rx(0.2) q[1];
rx(0.2) q[2];
rx(0.2) q[3];
