// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// Loops over a storage array: the slots touched depend on the array's length in storage.
contract Looper {
    uint256[] public values;
    uint256 public lastSum;
    mapping(address => uint256) public sumsBy;

    event Summed(address indexed by, uint256 length, uint256 sum);

    function push(uint256[] calldata more) external {
        for (uint256 i = 0; i < more.length; i++) {
            values.push(more[i]);
        }
    }

    function length() external view returns (uint256) {
        return values.length;
    }

    /// Reads every element and stores the sum.
    function sum() external returns (uint256 total) {
        uint256 n = values.length;
        for (uint256 i = 0; i < n; i++) {
            total += values[i];
        }
        lastSum = total;
        sumsBy[msg.sender] = total;
        emit Summed(msg.sender, n, total);
    }

    /// Adds `by` to every element at index `from` and above.
    function bump(uint256 from, uint256 by) external {
        uint256 n = values.length;
        for (uint256 i = from; i < n; i++) {
            values[i] += by;
        }
    }

    function pop(uint256 count) external {
        for (uint256 i = 0; i < count; i++) {
            values.pop();
        }
    }
}
